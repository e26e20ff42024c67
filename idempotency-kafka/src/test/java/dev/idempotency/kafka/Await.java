package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.Supplier;

/** Waiting for a condition with a deadline, polling it; never a bare sleep. */
final class Await {

    /** A condition that may throw, such as a query. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    private Await() {
    }

    /** Polls {@code condition} every 50 ms until it holds; fails with {@code state} once {@code within} passed. */
    static void until(Duration within, Condition condition, Supplier<String> state) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                fail("Not reached within " + within + ": " + state.get());
            }
            Thread.sleep(50);
        }
    }
}
