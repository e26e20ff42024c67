package dev.idempotency.internal;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The background threads of one component of this library (a store's purge, the engine's lease renewals, an
 * inbox's purge, an outbox relay's loops and publishers), owned by the component that created it and closed
 * by it: {@link #close()} returns once every thread has ended, so a servlet container stopping the
 * application finds none of them left. Threads are {@link DaemonThreads daemon threads} named
 * {@code idempotency-<name>} (numbered when there may be several), started only when a task first needs one.
 *
 * <p>Thread-safe. A task given after the scheduler was closed is refused with a
 * {@link java.util.concurrent.RejectedExecutionException}.
 */
public final class Scheduler implements AutoCloseable {

    /** How long {@link #close()} waits for interrupted tasks to end. */
    public static final Duration END_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final DaemonThreads threads;
    private final ScheduledThreadPoolExecutor executor;

    private Scheduler(String name, int size) {
        this.name = name;
        this.threads = size == 1 ? DaemonThreads.named(name) : DaemonThreads.numbered(name);
        this.executor = new ScheduledThreadPoolExecutor(size, threads);
        // A cancelled task (a lease renewal whose request ended, say) leaves the queue at once.
        executor.setRemoveOnCancelPolicy(true);
    }

    /**
     * A scheduler of up to {@code threads} threads named {@code idempotency-<name>} (one) or
     * {@code idempotency-<name>-1}, {@code -2}... (several).
     *
     * @throws IllegalArgumentException if {@code threads} is not positive
     */
    public static Scheduler create(String name, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be positive, not " + threads);
        }
        return new Scheduler(name, threads);
    }

    /** Runs {@code task} every {@code delay} after the end of its previous run, the first time after {@code delay}. */
    public ScheduledFuture<?> repeat(Duration delay, Runnable task) {
        long millis = Math.max(1, delay.toMillis());
        return executor.scheduleWithFixedDelay(task, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} on one of the threads. */
    public <T> Future<T> submit(Callable<T> task) {
        return executor.submit(task);
    }

    /** Runs {@code task} on one of the threads; for a task that runs until the component closes. */
    public void execute(Runnable task) {
        executor.execute(task);
    }

    /**
     * Takes no more tasks, drops repeated ones, and waits up to {@code grace} for the running ones to end by
     * themselves. {@link #close()} afterwards interrupts what is still running.
     *
     * @return whether every task ended within {@code grace}
     */
    public boolean finish(Duration grace) {
        executor.shutdown();
        try {
            return executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Drops the tasks not started, interrupts the running ones, and returns once every thread has ended, or
     * after {@link #END_WAIT} for a task that ignores its interrupt. Idempotent.
     */
    @Override
    public void close() {
        executor.shutdownNow();
        threads.awaitEnd(END_WAIT);
    }

    @Override
    public String toString() {
        return "Scheduler[" + DaemonThreads.PREFIX + name + (executor.isShutdown() ? ", closed" : "") + "]";
    }
}
