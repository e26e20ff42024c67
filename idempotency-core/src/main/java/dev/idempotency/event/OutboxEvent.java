package dev.idempotency.event;

import java.time.Duration;
import java.util.Objects;

/**
 * One outbox relay batch, claimed, published and marked.
 *
 * @param published messages the publisher delivered
 * @param retried messages whose publication failed and that will be tried again after a backoff
 * @param dead messages that became dead letters (rejected by the publisher, or out of attempts)
 * @param released messages given back unpublished (after another of their key failed, or the lease ended),
 *     to be published again without counting an attempt
 * @param duration how long the batch took, from its claim to its marking
 */
public record OutboxEvent(int published, int retried, int dead, int released, Duration duration) {

    /** Checks the components. */
    public OutboxEvent {
        Objects.requireNonNull(duration, "duration");
        if (published < 0 || retried < 0 || dead < 0 || released < 0) {
            throw new IllegalArgumentException("Counts must not be negative: published " + published + ", retried "
                    + retried + ", dead " + dead + ", released " + released);
        }
    }
}
