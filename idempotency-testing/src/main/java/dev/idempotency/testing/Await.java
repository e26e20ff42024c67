package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Waiting for a condition with a deadline, instead of sleeping and hoping: polls every 20 ms, and fails with a
 * description of the state once the deadline passed. Give the deadline room for a loaded machine; a passing
 * test waits only as long as the condition takes.
 */
public final class Await {

    /** A condition that may throw, such as a query. */
    @FunctionalInterface
    public interface Condition {
        /** Whether it holds now. */
        boolean holds() throws Exception;
    }

    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /**
     * Returns once {@code condition} holds; fails with {@code state}, asked at that moment, once {@code within}
     * passed.
     */
    public static void until(Duration within, Condition condition, Supplier<String> state) throws Exception {
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(state, "state");
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                fail("Not reached within " + within.toMillis() + " ms: " + state.get());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** As {@link #until(Duration, Condition, Supplier)}, with a fixed description of what was awaited. */
    public static void until(Duration within, Condition condition, String what) throws Exception {
        until(within, condition, () -> what);
    }
}
