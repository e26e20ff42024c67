package dev.idempotency.jdbc.outbox;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the outbox's relays have not finished, read in one query ({@link JdbcOutbox#backlog()}).
 *
 * @param pending messages waiting, in flight or backing off
 * @param oldestPending when the oldest pending message was enqueued, or empty if none is pending
 * @param dead dead letters waiting to be re-queued or discarded by hand
 */
public record OutboxBacklog(long pending, Optional<Instant> oldestPending, long dead) {

    /** Checks the components. */
    public OutboxBacklog {
        Objects.requireNonNull(oldestPending, "oldestPending");
        if (pending < 0 || dead < 0) {
            throw new IllegalArgumentException("Counts must not be negative: pending " + pending + ", dead " + dead);
        }
    }

    /**
     * How long the oldest pending message has waited at {@code now}: the relays' lag. Zero when nothing is
     * pending (or the oldest was enqueued after {@code now}, by a clock a little ahead).
     */
    public Duration lag(Instant now) {
        Objects.requireNonNull(now, "now");
        return oldestPending.map(oldest -> Duration.between(oldest, now)).filter(d -> !d.isNegative())
                .orElse(Duration.ZERO);
    }
}
