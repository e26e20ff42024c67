package dev.idempotency.client.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: before attempt {@code n + 1}, a pause drawn uniformly from zero to
 * {@code min(max, initial × 2^(n − 1))}. Full jitter spreads the retries of many clients that failed together
 * (a restart, an outage) instead of sending them back in waves.
 */
public final class Backoff {

    private final Duration initial;
    private final Duration max;
    private final DoubleSupplier random;

    /**
     * @param random uniform draws from [0, 1)
     */
    public Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initial = Objects.requireNonNull(initial, "initial");
        this.max = Objects.requireNonNull(max, "max");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** The ceiling of the pause after attempt {@code attempt} (1 for the first). */
    public Duration ceiling(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1, not " + attempt);
        }
        long maxNanos = max.toNanos();
        long nanos = initial.toNanos();
        for (int i = 1; i < attempt && nanos < maxNanos; i++) {
            nanos = nanos > maxNanos / 2 ? maxNanos : nanos * 2;
        }
        return Duration.ofNanos(Math.min(nanos, maxNanos));
    }

    /** The pause after attempt {@code attempt}: a uniform draw from zero to its ceiling. */
    public Duration pause(int attempt) {
        return Duration.ofNanos((long) (ceiling(attempt).toNanos() * random.getAsDouble()));
    }
}
