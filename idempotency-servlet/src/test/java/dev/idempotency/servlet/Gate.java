package dev.idempotency.servlet;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A point where a test handler stops until the test lets it go, so tests can hold a request "in
 * progress" for exactly as long as they need instead of guessing with sleeps.
 */
final class Gate {

    private static final long LIMIT_SECONDS = 20;

    private final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch opened = new CountDownLatch(1);

    /** Called by the handler: records its arrival, then waits until the test opens the gate. */
    void arriveAndAwait() {
        arrived.countDown();
        try {
            if (!opened.await(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The test never opened the gate");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted at the gate", e);
        }
    }

    /** Called by the test: waits until a handler stands at the gate. */
    void awaitArrival() throws InterruptedException {
        if (!arrived.await(LIMIT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("No handler reached the gate within " + LIMIT_SECONDS + "s");
        }
    }

    boolean hasArrival() {
        return arrived.getCount() == 0;
    }

    void open() {
        opened.countDown();
    }
}
