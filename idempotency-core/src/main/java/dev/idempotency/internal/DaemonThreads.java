package dev.idempotency.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Makes the threads of one component of this library, and remembers them until they end. They are daemon
 * threads, so none of them keeps a JVM alive, named {@code idempotency-<name>}, with a number after it for a
 * component that runs several.
 *
 * <p>A servlet container looks for an application's threads right after it stopped the application, and
 * reports those still running as a leak. Executors and pools stop their threads without waiting for them to
 * end, so the component that owns them waits with {@link #awaitEnd} when it closes.
 */
public final class DaemonThreads implements ThreadFactory {

    /** How the name of every thread of this library begins. */
    public static final String PREFIX = "idempotency-";

    private final String name;
    private final boolean numbered;
    private final List<Thread> made = new ArrayList<>();
    private int count;

    private DaemonThreads(String name, boolean numbered) {
        this.name = PREFIX + name;
        this.numbered = numbered;
    }

    /** Threads named {@code idempotency-<name>}, for a component that runs one at a time. */
    public static DaemonThreads named(String name) {
        return new DaemonThreads(name, false);
    }

    /** Threads named {@code idempotency-<name>-1}, {@code -2}..., for a component that runs several. */
    public static DaemonThreads numbered(String name) {
        return new DaemonThreads(name, true);
    }

    @Override
    public synchronized Thread newThread(Runnable runnable) {
        // Only ended threads are forgotten: one made a moment ago may not have been started yet.
        made.removeIf(thread -> thread.getState() == Thread.State.TERMINATED);
        Thread thread = new Thread(runnable, numbered ? name + "-" + ++count : name);
        thread.setDaemon(true);
        made.add(thread);
        return thread;
    }

    /**
     * Waits up to {@code limit} for every thread made so far to end.
     *
     * @return whether they all ended (also {@code false} if this thread was interrupted while waiting; its
     *     interrupt status is then set again)
     */
    public boolean awaitEnd(Duration limit) {
        List<Thread> threads;
        synchronized (this) {
            threads = new ArrayList<>(made);
        }
        long deadline = System.nanoTime() + limit.toNanos();
        try {
            for (Thread thread : threads) {
                long left = deadline - System.nanoTime();
                if (left > 0 && thread != Thread.currentThread()) {
                    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return threads.stream().noneMatch(thread -> thread.isAlive() && thread != Thread.currentThread());
    }

    @Override
    public String toString() {
        return "DaemonThreads[" + name + (numbered ? "-n" : "") + "]";
    }
}
