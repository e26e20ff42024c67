package dev.idempotency.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.MutableClock;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ExpiredRecordPurgerTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    /** Reports {@code available} records in batches, remembering each call. */
    private static final class ScriptedStore implements IdempotencyStore {
        int available;
        final List<Integer> limits = new ArrayList<>();
        final List<Instant> nows = new ArrayList<>();
        final CountDownLatch called = new CountDownLatch(1);

        ScriptedStore(int available) {
            this.available = available;
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized int purgeExpired(Instant now, int limit) {
            limits.add(limit);
            nows.add(now);
            int deleted = Math.min(available, limit);
            available -= deleted;
            called.countDown();
            return deleted;
        }
    }

    private static IdempotencyConfig config(int batchSize, Duration interval) {
        return IdempotencyConfig.custom().purgeBatchSize(batchSize).purgeInterval(interval)
                .clock(new MutableClock(T0)).build();
    }

    @Test
    void purgeNowDeletesBatchesUntilAShortOne() {
        ScriptedStore store = new ScriptedStore(25);

        long deleted = ExpiredRecordPurger.create(store, config(10, Duration.ofMinutes(1))).purgeNow();

        assertEquals(25, deleted);
        assertEquals(List.of(10, 10, 10), store.limits);
        assertEquals(List.of(T0, T0, T0), store.nows, "purges use the configured clock");
    }

    @Test
    void purgeNowStopsAfterTheMaximumNumberOfBatches() {
        ScriptedStore store = new ScriptedStore(1_000_000);

        long deleted = ExpiredRecordPurger.create(store, config(10, Duration.ofMinutes(1))).purgeNow();

        assertEquals(10L * ExpiredRecordPurger.MAX_BATCHES_PER_RUN, deleted);
        assertEquals(ExpiredRecordPurger.MAX_BATCHES_PER_RUN, store.limits.size());
    }

    @Test
    void exactlyFullLastBatchTriggersOneMoreEmptyBatch() {
        ScriptedStore store = new ScriptedStore(20);
        assertEquals(20, ExpiredRecordPurger.create(store, config(10, Duration.ofMinutes(1))).purgeNow());
        assertEquals(3, store.limits.size());
    }

    /** No purge thread is started at all, so none can ever purge. */
    @Test
    void zeroIntervalNeverStartsABackgroundPurge() {
        ScriptedStore store = new ScriptedStore(5);
        Set<Thread> before = purgeThreads();
        try (ExpiredRecordPurger purger = ExpiredRecordPurger.create(store, config(10, Duration.ZERO))) {
            purger.start();
            assertEquals(Set.of(), newPurgeThreads(before), "a purge thread was started");
        }
        assertTrue(store.limits.isEmpty());
    }

    /** Closing ends the purge thread, so no purge can follow. */
    @Test
    void startedPurgerRunsInTheBackgroundUntilClosed() throws Exception {
        ScriptedStore store = new ScriptedStore(5);
        Set<Thread> before = purgeThreads();
        Set<Thread> started;
        try (ExpiredRecordPurger purger = ExpiredRecordPurger.create(store, config(10, Duration.ofMillis(20)))) {
            purger.start();
            purger.start();
            started = newPurgeThreads(before);
            assertEquals(1, started.size(), "one purge thread, however often start() is called: " + started);
            assertTrue(store.called.await(10, TimeUnit.SECONDS), "the background purge never ran");
        }
        int callsAtClose;
        synchronized (store) {
            callsAtClose = store.limits.size();
        }
        for (Thread thread : started) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(thread.isAlive(), "the purge thread outlived close()");
        }
        synchronized (store) {
            assertEquals(callsAtClose, store.limits.size(), "no purge after close");
        }
    }

    /** The live purge threads, of any purger. */
    private static Set<Thread> purgeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("idempotency-purge") && thread.isAlive())
                .collect(Collectors.toSet());
    }

    /** The live purge threads that were not among {@code before}: the ones a purger under test started. */
    private static Set<Thread> newPurgeThreads(Set<Thread> before) {
        Set<Thread> now = purgeThreads();
        now.removeAll(before);
        return now;
    }

    @Test
    void backgroundPurgeSurvivesAFailingStore() throws Exception {
        CountDownLatch secondCall = new CountDownLatch(2);
        IdempotencyStore failing = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw new UnsupportedOperationException();
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                secondCall.countDown();
                throw new StoreUnavailableException("down", null);
            }
        };
        try (ExpiredRecordPurger purger = ExpiredRecordPurger.create(failing, config(10, Duration.ofMillis(10)))) {
            purger.start();
            assertTrue(secondCall.await(10, TimeUnit.SECONDS), "a failure stopped the background purge");
        }
    }
}
