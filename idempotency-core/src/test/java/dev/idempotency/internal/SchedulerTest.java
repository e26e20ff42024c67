package dev.idempotency.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    @Test
    void closeReturnsOnceEveryThreadHasEnded() throws Exception {
        Scheduler scheduler = Scheduler.create("scheduler-test-close", 2);
        CountDownLatch running = new CountDownLatch(2);
        for (int i = 0; i < 2; i++) {
            scheduler.execute(() -> {
                running.countDown();
                try {
                    Thread.sleep(Duration.ofMinutes(1).toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertTrue(running.await(10, TimeUnit.SECONDS), "the tasks never started");
        assertEquals(2, threads("idempotency-scheduler-test-close-").size());

        scheduler.close();

        // A servlet container looks for the application's threads right after it stopped, and reports a leak.
        assertEquals(List.of(), threads("idempotency-scheduler-test-close-"));
    }

    @Test
    void threadsAreDaemonsNamedForTheirComponentAndStartOnlyWhenATaskNeedsOne() throws Exception {
        try (Scheduler one = Scheduler.create("scheduler-test-one", 1);
                Scheduler two = Scheduler.create("scheduler-test-two", 2)) {
            assertEquals(List.of(), threads("idempotency-scheduler-test-"), "no task, no thread");

            Thread[] seen = new Thread[3];
            one.submit(() -> seen[0] = Thread.currentThread()).get();
            two.submit(() -> seen[1] = Thread.currentThread()).get();
            two.submit(() -> seen[2] = Thread.currentThread()).get();

            assertEquals("idempotency-scheduler-test-one", seen[0].getName());
            assertTrue(seen[1].getName().startsWith("idempotency-scheduler-test-two-"), seen[1].getName());
            for (Thread thread : seen) {
                assertTrue(thread.isDaemon(), thread + " keeps the JVM alive");
            }
        }
    }

    @Test
    void aRepeatedTaskRunsUntilClosed() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch twice = new CountDownLatch(2);
        Scheduler scheduler = Scheduler.create("scheduler-test-repeat", 1);
        scheduler.repeat(Duration.ofMillis(5), () -> {
            runs.incrementAndGet();
            twice.countDown();
        });
        assertTrue(twice.await(10, TimeUnit.SECONDS), "the task did not repeat");

        scheduler.close();
        int atClose = runs.get();
        Thread.sleep(50);

        assertEquals(atClose, runs.get(), "a run after close");
        assertThrows(RejectedExecutionException.class, () -> scheduler.execute(() -> { }));
    }

    @Test
    void finishWaitsForRunningTasksToEndByThemselves() throws Exception {
        Scheduler scheduler = Scheduler.create("scheduler-test-finish", 1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        scheduler.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });

        assertFalse(scheduler.finish(Duration.ofMillis(50)), "the task is still waiting");
        release.countDown();
        assertTrue(scheduler.finish(Duration.ofSeconds(10)), "the task ended by itself");
        scheduler.close();

        assertEquals(0, interrupted.get(), "finish interrupts nothing");
        assertEquals(List.of(), threads("idempotency-scheduler-test-finish"));
    }

    private static List<Thread> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(prefix) && thread.isAlive()).toList();
    }
}
