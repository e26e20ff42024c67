package dev.idempotency.jdbc.internal;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.store.ExpiredRecordPurger;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * A store's purge of its expired records, which the store runs from its creation to its close: with the
 * settings its builder was given, and for each one it was not, the default or, once an adapter hands over its
 * own ({@link IdempotencyStore#adoptPurgeSettings}), the adapter's. Thread-safe.
 */
public final class RecordPurge implements AutoCloseable {

    /** Interval, batch size and clock; a {@code null} one was not given. */
    private record Settings(Duration interval, Integer batchSize, Clock clock) {

        Settings orElse(Settings others) {
            return new Settings(interval != null ? interval : others.interval,
                    batchSize != null ? batchSize : others.batchSize, clock != null ? clock : others.clock);
        }
    }

    private final IdempotencyStore store;
    private final Settings given;
    private final IdempotencyListener listener;
    private Settings current;
    private ExpiredRecordPurger purger;
    private boolean closed;

    /**
     * The purge of {@code store}, not started.
     *
     * @param interval the interval the store's builder was given, or {@code null}
     * @param batchSize the batch size the store's builder was given, or {@code null}
     * @param clock the clock the store's builder was given, or {@code null}
     * @param listener where each run is reported
     */
    public RecordPurge(IdempotencyStore store, Duration interval, Integer batchSize, Clock clock,
            IdempotencyListener listener) {
        this.store = Objects.requireNonNull(store, "store");
        this.given = new Settings(interval, batchSize, clock);
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Starts purging with the given settings and, for the others, those of {@code defaults}. */
    public synchronized RecordPurge start(IdempotencyConfig defaults) {
        if (purger == null && !closed) {
            restart(defaults);
        }
        return this;
    }

    /**
     * Takes {@code config}'s interval, batch size and clock for each setting that was not given, and purges on
     * that schedule from now on: an interval of zero stops the purge and its thread.
     */
    public synchronized void adopt(IdempotencyConfig config) {
        if (!closed) {
            restart(config);
        }
    }

    private void restart(IdempotencyConfig config) {
        Settings settings = given.orElse(new Settings(config.purgeInterval(), config.purgeBatchSize(), config.clock()));
        if (settings.equals(current)) {
            return;
        }
        if (purger != null) {
            purger.close();
        }
        current = settings;
        purger = ExpiredRecordPurger.create(store, settings.interval(), settings.batchSize(), settings.clock(),
                listener).start();
    }

    /** Stops the purge, interrupting a run in progress, and returns once its thread has ended. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (purger != null) {
            purger.close();
        }
    }
}
