package dev.idempotency.store;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.PurgeEvent;
import dev.idempotency.internal.BatchedPurge;
import dev.idempotency.internal.GuardedListener;
import dev.idempotency.spi.IdempotencyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Removes expired records in the background, in batches of {@code purgeBatchSize} per transaction, so no
 * single purge holds locks on many rows or runs long. Each run deletes batches until one comes back short
 * or {@value #MAX_BATCHES_PER_RUN} batches were deleted; the rest waits for the next run. Expired records
 * are already ignored by claims, so the purge only reclaims space and never changes an answer.
 *
 * <p>Whoever owns the store owns its purge: a store that purges itself ({@code JdbcIdempotencyStore}) runs
 * one from its creation to its {@code close()}; for a store that does not (the in-memory store), the adapter
 * that serves it runs one while it runs (see {@link IdempotencyStore#adoptPurgeSettings}).
 *
 * <p>Several application instances may purge the same store at once; the stores make their batches skip
 * rows another transaction holds.
 */
public final class ExpiredRecordPurger implements AutoCloseable {

    /** A run stops after this many full batches, to leave the database to live traffic. */
    public static final int MAX_BATCHES_PER_RUN = BatchedPurge.MAX_BATCHES_PER_RUN;

    private final BatchedPurge purge;

    private ExpiredRecordPurger(IdempotencyStore store, Duration interval, int batchSize, Clock clock,
            IdempotencyListener listener) {
        Objects.requireNonNull(store, "store");
        this.purge = new BatchedPurge("purge", "expired idempotency records", store::purgeExpired, batchSize,
                interval, clock, PurgeEvent.Target.RECORDS, GuardedListener.of(listener));
    }

    /** A purger for {@code store} with the interval, batch size and clock of {@code config}; not started. */
    public static ExpiredRecordPurger create(IdempotencyStore store, IdempotencyConfig config) {
        return create(store, config, IdempotencyListener.none());
    }

    /**
     * As {@link #create(IdempotencyStore, IdempotencyConfig)}, reporting each run that ends to {@code listener}
     * as a {@link PurgeEvent} of {@link PurgeEvent.Target#RECORDS}.
     */
    public static ExpiredRecordPurger create(IdempotencyStore store, IdempotencyConfig config,
            IdempotencyListener listener) {
        Objects.requireNonNull(config, "config");
        return create(store, config.purgeInterval(), config.purgeBatchSize(), config.clock(), listener);
    }

    /**
     * A purger for {@code store}; not started.
     *
     * @param interval how often to purge once started; {@link Duration#ZERO} never starts
     * @param batchSize records deleted per transaction, at least 1
     * @param clock what "expired" is measured against
     * @throws IllegalArgumentException if {@code batchSize} is not positive
     */
    public static ExpiredRecordPurger create(IdempotencyStore store, Duration interval, int batchSize, Clock clock) {
        return create(store, interval, batchSize, clock, IdempotencyListener.none());
    }

    /**
     * As {@link #create(IdempotencyStore, Duration, int, Clock)}, reporting each run that ends to
     * {@code listener} as a {@link PurgeEvent} of {@link PurgeEvent.Target#RECORDS}.
     */
    public static ExpiredRecordPurger create(IdempotencyStore store, Duration interval, int batchSize, Clock clock,
            IdempotencyListener listener) {
        return new ExpiredRecordPurger(store, Objects.requireNonNull(interval, "interval"), batchSize,
                Objects.requireNonNull(clock, "clock"), Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Starts purging every {@code purgeInterval} on a daemon thread named {@code idempotency-purge}; does
     * nothing when the interval is zero. The first run is after one interval.
     */
    public ExpiredRecordPurger start() {
        purge.start();
        return this;
    }

    /**
     * Runs one purge now, on the calling thread.
     *
     * @return how many records were deleted
     */
    public long purgeNow() {
        return purge.runOnce();
    }

    /** Stops the background thread, interrupting a running purge, and returns once the thread has ended. */
    @Override
    public void close() {
        purge.close();
    }
}
