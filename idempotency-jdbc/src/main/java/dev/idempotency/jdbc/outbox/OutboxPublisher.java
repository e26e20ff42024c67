package dev.idempotency.jdbc.outbox;

/**
 * Sends one outbox message to its destination: the extension point of {@link OutboxRelay}.
 *
 * <p>The relay calls it without holding a database transaction, possibly from several threads at once
 * ({@link OutboxRelayConfig.Builder#publishConcurrency}), so implementations must be thread-safe. Delivery
 * is at least once: the same message (same {@link OutboxMessage#id() id}) may be published again after a
 * crash, a lost lease or a failed mark, so receivers deduplicate on the id. Give every network call a timeout
 * well below the relay's {@link OutboxRelayConfig.Builder#leaseDuration lease}: a publication that outlives
 * the lease may run beside a re-publication by another relay.
 */
@FunctionalInterface
public interface OutboxPublisher {

    /**
     * Publishes {@code message}.
     *
     * @param attempt 1 for the first attempt, then 2, 3... (an attempt whose outcome was lost counts too)
     * @return {@link PublishResult#delivered()}, {@link PublishResult#retry}/{@link PublishResult#retryAfter}
     *     for a failure that may pass, or {@link PublishResult#rejected} for one that will not
     * @throws Exception counts as {@code retry} with the exception as the error. An {@link Error} instead stops
     *     the relay's batch without marking anything, as a crash would: its messages are published again once
     *     their lease expires.
     */
    PublishResult publish(OutboxMessage message, int attempt) throws Exception;
}
