package dev.idempotency.store;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.spi.IdempotencyStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Removes expired records in the background, in batches of {@code purgeBatchSize} per transaction, so no
 * single purge holds locks on many rows or runs long. Each run deletes batches until one comes back short
 * or {@value #MAX_BATCHES_PER_RUN} batches were deleted; the rest waits for the next run. Expired records
 * are already ignored by claims, so the purge only reclaims space and never changes an answer.
 *
 * <p>Several application instances may purge the same store at once; the stores make their batches skip
 * rows another transaction holds.
 */
public final class ExpiredRecordPurger implements AutoCloseable {

    /** A run stops after this many full batches, to leave the database to live traffic. */
    public static final int MAX_BATCHES_PER_RUN = 100;

    private static final System.Logger LOG = System.getLogger(ExpiredRecordPurger.class.getName());

    private final IdempotencyStore store;
    private final Clock clock;
    private final int batchSize;
    private final Duration interval;
    private ScheduledExecutorService executor;

    private ExpiredRecordPurger(IdempotencyStore store, IdempotencyConfig config) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = config.clock();
        this.batchSize = config.purgeBatchSize();
        this.interval = config.purgeInterval();
    }

    /** A purger for {@code store} with the interval, batch size and clock of {@code config}; not started. */
    public static ExpiredRecordPurger create(IdempotencyStore store, IdempotencyConfig config) {
        return new ExpiredRecordPurger(store, Objects.requireNonNull(config, "config"));
    }

    /**
     * Starts purging every {@code purgeInterval} on a daemon thread; does nothing when the interval is
     * zero. The first run is after one interval.
     */
    public synchronized ExpiredRecordPurger start() {
        if (executor != null || interval.isZero()) {
            return this;
        }
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "idempotency-purge");
            thread.setDaemon(true);
            return thread;
        });
        long millis = interval.toMillis();
        executor.scheduleWithFixedDelay(this::runSafely, millis, millis, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Runs one purge now, on the calling thread.
     *
     * @return how many records were deleted
     */
    public long purgeNow() {
        long total = 0;
        for (int batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
            int deleted = store.purgeExpired(clock.instant(), batchSize);
            total += deleted;
            if (deleted < batchSize) {
                break;
            }
        }
        return total;
    }

    private void runSafely() {
        try {
            long deleted = purgeNow();
            if (deleted > 0) {
                LOG.log(Level.DEBUG, "Purged {0} expired idempotency records", deleted);
            }
        } catch (RuntimeException e) {
            // The next run tries again; expired records are ignored by claims in the meantime.
            LOG.log(Level.WARNING, "Purging expired idempotency records failed; will retry in " + interval, e);
        }
    }

    /** Stops the background thread, waiting briefly for a running purge. */
    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            executor = null;
        }
    }
}
