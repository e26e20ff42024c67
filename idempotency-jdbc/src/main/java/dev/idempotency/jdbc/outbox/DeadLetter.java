package dev.idempotency.jdbc.outbox;

import java.time.Instant;
import java.util.Objects;

/**
 * A message the relay gave up on, with why: listed by {@link JdbcOutbox#deadLetters}, re-queued with
 * {@link JdbcOutbox#requeue} or dropped with {@link JdbcOutbox#discard}.
 *
 * @param message the message, as enqueued
 * @param attempts how many attempts were made
 * @param lastError the error of the last attempt
 * @param lastAttemptAt when the last attempt started, by the outbox's clock
 */
public record DeadLetter(OutboxMessage message, int attempts, String lastError, Instant lastAttemptAt) {

    /** Validates. */
    public DeadLetter {
        Objects.requireNonNull(message, "message");
    }
}
