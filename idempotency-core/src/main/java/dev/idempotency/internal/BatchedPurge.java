package dev.idempotency.internal;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.event.PurgeEvent;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Deletes what has expired in batches of a bounded size, one short transaction each, so that no purge holds
 * locks on many rows or runs long: a run deletes batches until one comes back short, or
 * {@value #MAX_BATCHES_PER_RUN} were deleted, and leaves the rest to the next run. Started, it runs every
 * {@code interval} on a thread of its own until closed. The one purge of this library: of a store's expired
 * records, of an inbox's expired markers, and of an outbox's delivered messages.
 */
public final class BatchedPurge implements AutoCloseable {

    /** Deletes up to {@code limit} rows that expired at {@code now}, in one transaction, and says how many. */
    @FunctionalInterface
    public interface Batch {
        int delete(Instant now, int limit);
    }

    /** A run stops after this many full batches, to leave the database to live traffic. */
    public static final int MAX_BATCHES_PER_RUN = 100;

    /** The largest batch a purge's settings accept. */
    public static final int MAX_BATCH_SIZE = 100_000;

    /** The longest interval a purge's settings accept. */
    public static final Duration MAX_INTERVAL = Duration.ofDays(1);

    private static final System.Logger LOG = System.getLogger(BatchedPurge.class.getName());

    private final String threadName;
    private final String what;
    private final Batch batch;
    private final int batchSize;
    private final Duration interval;
    private final Clock clock;
    private final PurgeEvent.Target target;
    private final GuardedListener listener;
    private Scheduler scheduler;

    /**
     * A purge, not started.
     *
     * @param threadName the name of its thread after {@code idempotency-}
     * @param what what it deletes, for log messages, such as {@code "expired inbox markers"}
     * @param interval how long between two runs once started; zero never starts one
     * @param target what it deletes, for the {@link PurgeEvent} each run that ends reports to {@code listener}
     */
    public BatchedPurge(String threadName, String what, Batch batch, int batchSize, Duration interval, Clock clock,
            PurgeEvent.Target target, GuardedListener listener) {
        this.threadName = Objects.requireNonNull(threadName, "threadName");
        this.what = Objects.requireNonNull(what, "what");
        this.batch = Objects.requireNonNull(batch, "batch");
        this.batchSize = batchSize;
        this.interval = Objects.requireNonNull(interval, "interval");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.target = Objects.requireNonNull(target, "target");
        this.listener = Objects.requireNonNull(listener, "listener");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, not " + batchSize);
        }
    }

    /**
     * Checks a purge interval setting: {@link Duration#ZERO} (no background purge) or from {@code shortest} to
     * {@link #MAX_INTERVAL}.
     *
     * @throws IdempotencyConfigException naming {@code setting} and the value otherwise
     */
    public static Duration requireInterval(String setting, Duration interval, Duration shortest) {
        if (interval == null || interval.isNegative() || (!interval.isZero()
                && (interval.compareTo(shortest) < 0 || interval.compareTo(MAX_INTERVAL) > 0))) {
            String from = shortest.toMillis() % 1000 == 0 ? shortest.toSeconds() + "s" : shortest.toMillis() + "ms";
            throw IdempotencyConfigException.invalid(setting, interval,
                    "a duration from " + from + " to 1d, or 0 to turn the purge off");
        }
        return interval;
    }

    /**
     * Checks a batch size setting: 1 to {@value #MAX_BATCH_SIZE}.
     *
     * @throws IdempotencyConfigException naming {@code setting} and the value otherwise
     */
    public static int requireBatchSize(String setting, int size) {
        if (size < 1 || size > MAX_BATCH_SIZE) {
            throw IdempotencyConfigException.invalid(setting, size, "a number from 1 to " + MAX_BATCH_SIZE);
        }
        return size;
    }

    /**
     * Starts running every interval, the first run after one interval; does nothing if started already or the
     * interval is zero.
     */
    public synchronized BatchedPurge start() {
        if (scheduler == null && !interval.isZero()) {
            scheduler = Scheduler.create(threadName, 1);
            scheduler.repeat(interval, this::runLogged);
        }
        return this;
    }

    /**
     * One run now, on the calling thread.
     *
     * @return how many rows were deleted
     */
    public long runOnce() {
        long start = System.nanoTime();
        long total = 0;
        for (int run = 0; run < MAX_BATCHES_PER_RUN; run++) {
            int deleted = batch.delete(clock.instant(), batchSize);
            total += deleted;
            if (deleted < batchSize) {
                break;
            }
        }
        if (listener.active()) {
            listener.onPurge(new PurgeEvent(target, total, Duration.ofNanos(System.nanoTime() - start)));
        }
        return total;
    }

    /** One run now, logging rather than throwing a failure: the next run tries again. */
    public void runLogged() {
        try {
            long deleted = runOnce();
            if (deleted > 0) {
                LOG.log(Level.DEBUG, "Purged {0} {1}", deleted, what);
            }
        } catch (RuntimeException e) {
            // What expired is already ignored, or only deduplicates a little longer; nothing waits for the purge.
            LOG.log(Level.WARNING, "Purging " + what + " failed; will retry in " + interval, e);
        }
    }

    /** The interval between two runs once started. */
    public Duration interval() {
        return interval;
    }

    /** Stops the background runs, interrupting one in progress, and returns once its thread has ended. */
    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.close();
            scheduler = null;
        }
    }

    @Override
    public String toString() {
        return "BatchedPurge[" + what + " every " + interval + ", " + batchSize + " per batch]";
    }
}
