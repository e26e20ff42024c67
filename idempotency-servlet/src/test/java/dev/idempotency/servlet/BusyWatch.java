package dev.idempotency.servlet;

import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The app's store, watched: it counts the claims it answers "busy" and remembers the threads it answered
 * (a request waits for a key on its own thread), so a test can wait until requests are provably waiting
 * for a key, instead of sleeping and hoping they are. Claims pass through unchanged.
 */
final class BusyWatch implements IdempotencyStore {

    private static final long LIMIT_SECONDS = 20;

    private final IdempotencyStore store;
    private final Set<Thread> waiters = new HashSet<>();
    private int busyAnswers;

    BusyWatch(IdempotencyStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        ClaimResult result = store.claim(request);
        if (result instanceof ClaimResult.Busy) {
            synchronized (this) {
                busyAnswers++;
                waiters.add(Thread.currentThread());
                notifyAll();
            }
        }
        return result;
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        return store.purgeExpired(now, limit);
    }

    /** Waits until the store has answered "busy" {@code count} times, to any request. */
    void awaitBusyAnswers(int count) throws InterruptedException {
        await(count, () -> busyAnswers, "busy answers");
    }

    /** Waits until {@code count} different requests have been answered "busy". */
    void awaitRequestsFoundBusy(int count) throws InterruptedException {
        await(count, waiters::size, "requests that found the key busy");
    }

    private synchronized void await(int count, IntSupplier seen, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
        while (seen.getAsInt() < count) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new AssertionError("Only " + seen.getAsInt() + " " + what + " of " + count + " within "
                        + LIMIT_SECONDS + "s");
            }
            wait(left);
        }
    }
}
