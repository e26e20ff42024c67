package dev.idempotency.jdbc.outbox;

import dev.idempotency.event.PurgeEvent;
import dev.idempotency.internal.BatchedPurge;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A started relay's housekeeping: with a {@link OutboxRelayConfig#deliveredRetention() delivered retention},
 * deletes the delivered messages older than it, about once a {@value #INTERVAL_MINUTES}-minute interval,
 * {@value #BATCH_SIZE} per transaction, on whichever of the relay's threads finds it due. Thread-safe.
 */
final class DeliveredPurge {

    private static final int INTERVAL_MINUTES = 1;
    private static final int BATCH_SIZE = 1000;

    private final BatchedPurge purge;
    private final boolean off;
    private final AtomicLong nextNanos = new AtomicLong(System.nanoTime());

    DeliveredPurge(JdbcOutbox outbox, Clock clock, Duration retention) {
        this.off = retention.isZero();
        this.purge = new BatchedPurge("outbox-purge", "delivered outbox messages",
                (now, limit) -> outbox.purgeDelivered(now.minus(retention), limit), BATCH_SIZE,
                Duration.ofMinutes(INTERVAL_MINUTES), clock, PurgeEvent.Target.OUTBOX, outbox.listener());
    }

    /** Purges if a run is due and no other thread took it; a failure is logged, and the next run retries. */
    void runIfDue() {
        long due = nextNanos.get();
        if (off || System.nanoTime() - due < 0
                || !nextNanos.compareAndSet(due, System.nanoTime() + purge.interval().toNanos())) {
            return;
        }
        // Delivered messages kept a little longer change nothing.
        purge.runLogged();
    }
}
