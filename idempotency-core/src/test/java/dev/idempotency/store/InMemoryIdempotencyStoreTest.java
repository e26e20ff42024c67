package dev.idempotency.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyKey;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoredRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InMemoryIdempotencyStoreTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final RecordKey KEY = new RecordKey("client-a", IdempotencyKey.of("k1"));
    private static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("POST", "/x", null, null,
            "a".getBytes(StandardCharsets.UTF_8));
    private static final StoredResponse RESPONSE = StoredResponse.of(201, List.of(), "{}".getBytes(StandardCharsets.UTF_8));

    private static final Instant HOUR_AFTER_T0 = T0.plus(Duration.ofHours(1));

    private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();

    private static ClaimRequest at(RecordKey key, Instant now, Duration ttl) {
        return new ClaimRequest(key, FINGERPRINT, now, now.plus(ttl));
    }

    private static ClaimRequest at(Instant now) {
        return at(KEY, now, Duration.ofHours(1));
    }

    private Claim acquire(ClaimRequest request) {
        return assertInstanceOf(ClaimResult.Acquired.class, store.claim(request)).claim();
    }

    @Test
    void freeKeyIsAcquired() {
        acquire(at(T0));
        assertEquals(1, store.size());
    }

    @Test
    void heldKeyIsBusyWithoutAHint() {
        acquire(at(T0));
        ClaimResult.Busy busy = assertInstanceOf(ClaimResult.Busy.class, store.claim(at(T0)));
        assertTrue(busy.retryAfterHint().isEmpty());
    }

    @Test
    void openClaimStaysBusyEvenAfterItsExpiryTime() {
        acquire(at(T0));
        assertInstanceOf(ClaimResult.Busy.class, store.claim(at(T0.plus(Duration.ofDays(2)))));
    }

    @Test
    void completedKeyIsExistingWithItsRecord() {
        acquire(at(T0)).complete(RESPONSE, HOUR_AFTER_T0);

        StoredRecord record = assertInstanceOf(ClaimResult.Existing.class,
                store.claim(at(T0.plusSeconds(10)))).record();

        assertEquals(KEY, record.key());
        assertEquals(FINGERPRINT, record.fingerprint());
        assertEquals(RESPONSE, record.response());
        assertEquals(T0, record.createdAt());
        assertEquals(T0.plus(Duration.ofHours(1)), record.expiresAt());
    }

    @Test
    void abandonedKeyIsFreeAgain() {
        acquire(at(T0)).abandon();
        assertEquals(0, store.size());
        acquire(at(T0));
    }

    @Test
    void closeAbandonsAnOpenClaimButKeepsACompletedOne() {
        Claim open = acquire(at(T0));
        open.close();
        assertEquals(0, store.size());

        try (Claim claim = acquire(at(T0))) {
            claim.complete(RESPONSE, HOUR_AFTER_T0);
        }
        assertInstanceOf(ClaimResult.Existing.class, store.claim(at(T0)));
    }

    @Test
    void recordExpiresWhenNowReachesExpiresAt() {
        acquire(at(T0)).complete(RESPONSE, HOUR_AFTER_T0);
        Instant expiry = T0.plus(Duration.ofHours(1));

        assertInstanceOf(ClaimResult.Existing.class, store.claim(at(expiry.minusNanos(1))));
        acquire(at(expiry));
    }

    @Test
    void keysOfDifferentScopesAreIndependent() {
        acquire(at(T0)).complete(RESPONSE, HOUR_AFTER_T0);
        acquire(at(new RecordKey("client-b", IdempotencyKey.of("k1")), T0, Duration.ofHours(1)));
    }

    @Test
    void claimLifecycleIsEnforced() throws Exception {
        Claim claim = acquire(at(T0));
        assertEquals("ran", claim.execute(() -> "ran"));
        claim.complete(RESPONSE, HOUR_AFTER_T0);

        assertThrows(IllegalStateException.class, () -> claim.complete(RESPONSE, HOUR_AFTER_T0));
        assertThrows(IllegalStateException.class, () -> claim.execute(() -> "again"));
        claim.abandon();
        assertInstanceOf(ClaimResult.Existing.class, store.claim(at(T0)), "abandon after complete is a no-op");

        Claim abandoned = acquire(at(new RecordKey("s", IdempotencyKey.of("k2")), T0, Duration.ofHours(1)));
        abandoned.abandon();
        abandoned.abandon();
        assertThrows(IllegalStateException.class, () -> abandoned.complete(RESPONSE, HOUR_AFTER_T0));
    }

    @Test
    void executePropagatesWhatTheWorkThrows() {
        Claim claim = acquire(at(T0));
        Exception failure = new Exception("x");
        assertSame(failure, assertThrows(Exception.class, () -> claim.execute(() -> {
            throw failure;
        })));
    }

    @Test
    void abandonOfAnOldCompletedClaimDoesNotRemoveItsSuccessor() {
        Claim first = acquire(at(T0));
        first.complete(RESPONSE, HOUR_AFTER_T0);
        Instant later = T0.plus(Duration.ofHours(2));
        Claim second = acquire(at(later));
        first.abandon();
        assertInstanceOf(ClaimResult.Busy.class, store.claim(at(later)));
        second.complete(RESPONSE, later.plus(Duration.ofHours(1)));
    }

    @Test
    void purgeRemovesOnlyExpiredRecordsUpToTheLimit() {
        for (int i = 0; i < 5; i++) {
            acquire(at(new RecordKey("s", IdempotencyKey.of("old-" + i)), T0, Duration.ofMinutes(1))).complete(RESPONSE,
                    T0.plus(Duration.ofMinutes(1)));
        }
        acquire(at(new RecordKey("s", IdempotencyKey.of("fresh")), T0, Duration.ofHours(1))).complete(RESPONSE, HOUR_AFTER_T0);
        acquire(at(new RecordKey("s", IdempotencyKey.of("open")), T0, Duration.ofMinutes(1)));
        Instant now = T0.plus(Duration.ofMinutes(1));

        assertEquals(3, store.purgeExpired(now, 3));
        assertEquals(2, store.purgeExpired(now, 3));
        assertEquals(0, store.purgeExpired(now, 3));
        assertEquals(2, store.size(), "the fresh record and the open claim stay");
    }

    @Test
    void onlyOneOfManyConcurrentClaimsAcquires() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger acquired = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                futures.add(threads.submit((Callable<Void>) () -> {
                    go.await();
                    if (store.claim(at(T0)) instanceof ClaimResult.Acquired) {
                        acquired.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertEquals(1, acquired.get());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void recordKeyAndClaimRequestValidateTheirParts() {
        assertThrows(IllegalArgumentException.class, () -> new RecordKey("", IdempotencyKey.of("k")));
        assertThrows(IllegalArgumentException.class, () -> new RecordKey("s".repeat(513), IdempotencyKey.of("k")));
        assertEquals(512, new RecordKey("s".repeat(512), IdempotencyKey.of("k")).scope().length());
        assertThrows(IllegalArgumentException.class, () -> new ClaimRequest(KEY, FINGERPRINT, T0, T0));
        assertThrows(IllegalArgumentException.class, () -> new ClaimRequest(KEY, FINGERPRINT, T0, T0.minusSeconds(1)));
        assertEquals("client-a/k1", KEY.toString());
    }
}
