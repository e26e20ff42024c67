package dev.idempotency.micrometer.internal;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A value read from the database at most once per refresh interval, however often it is asked for: a
 * backlog gauge scraped every second by several scrapers costs one query per interval. The read happens on
 * the thread that asks once the value is stale (a scrape), one at a time; the others get the value being
 * replaced. A read that fails makes the value absent ({@code NaN} on a gauge) until the next interval, and is
 * logged at {@code WARNING} once until a read succeeds again. Thread-safe.
 *
 * @param <T> what is read
 */
public final class CachedReading<T> {

    private static final System.Logger LOG = System.getLogger(CachedReading.class.getName());

    private final String what;
    private final Supplier<T> read;
    private final long refreshNanos;
    private final LongSupplier nanoTime;
    private final Object lock = new Object();
    private volatile T value;
    private long readAtNanos;
    private boolean readOnce;
    private boolean failing;

    /**
     * A reading, not read yet.
     *
     * @param what what it reads, for the log
     * @param read the query
     * @param refreshNanos how long a value is kept before it is read again
     * @param nanoTime the monotonic time (the registry's clock)
     */
    public CachedReading(String what, Supplier<T> read, long refreshNanos, LongSupplier nanoTime) {
        this.what = Objects.requireNonNull(what, "what");
        this.read = Objects.requireNonNull(read, "read");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        if (refreshNanos <= 0) {
            throw new IllegalArgumentException("refreshNanos must be positive, not " + refreshNanos);
        }
        this.refreshNanos = refreshNanos;
    }

    /** The value, read now if the one held is older than the refresh interval; {@code null} if the read failed. */
    public T get() {
        synchronized (lock) {
            long now = nanoTime.getAsLong();
            if (readOnce && now - readAtNanos < refreshNanos) {
                return value;
            }
            readOnce = true;
            readAtNanos = now;
            try {
                value = read.get();
                failing = false;
            } catch (RuntimeException e) {
                value = null;
                if (!failing) {
                    failing = true;
                    LOG.log(Level.WARNING, "Reading " + what + " for a metric failed; it reads as NaN until a read "
                            + "succeeds (the next one in " + refreshNanos / 1_000_000 + " ms)", e);
                }
            }
            return value;
        }
    }
}
