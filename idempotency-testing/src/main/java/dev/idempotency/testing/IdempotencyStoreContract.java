package dev.idempotency.testing;

import static dev.idempotency.testing.StoreTestValues.DEFAULT_TTL;
import static dev.idempotency.testing.StoreTestValues.fingerprint;
import static dev.idempotency.testing.StoreTestValues.response;
import static dev.idempotency.testing.StoreTestValues.uniqueKey;
import static dev.idempotency.testing.StoreTestValues.uniqueScope;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyKey;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.KeyTakenException;
import dev.idempotency.spi.LeaseLostException;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoredRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The contract every {@link IdempotencyStore} must meet, as a JUnit 5 test class: extend it, return the
 * store under test from {@link #store()}, and run it.
 *
 * <pre>{@code
 * class MyStoreContractTest extends IdempotencyStoreContract {
 *     private final IdempotencyStore store = MyStore.create(...);
 *
 *     @Override
 *     protected IdempotencyStore store() {
 *         return store;
 *     }
 * }
 * }</pre>
 *
 * <p>The store may be one instance for the whole class: each test works in a scope of its own, so
 * records of earlier tests do not change its answers. The purge tests are the exception: they first purge
 * every record that expired before the year 2100 and then work with records that expire in a decade of
 * their own after it, so run the tests of one class sequentially (JUnit's default, enforced here with
 * {@code @Execution(SAME_THREAD)}) and do not share the store's records with other test classes running
 * at the same time.
 *
 * <p>Times are given to the store explicitly, as {@link ClaimRequest#now()}; they are whole milliseconds,
 * and timestamps read back are compared at millisecond precision, as databases keep microseconds at best.
 *
 * <p>A store that holds a database connection per open claim is safe here: no test holds more than
 * {@value #RACERS} claims open at once, and every claim is closed, on the thread that obtained it, even
 * when a test fails.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@Execution(ExecutionMode.SAME_THREAD)
public abstract class IdempotencyStoreContract {

    /** How many threads claim one key at the same moment in the concurrency tests. */
    protected static final int RACERS = 16;

    private static final int RACED_KEYS = 20;

    /** A claim must answer Busy well within this; a store that waits for the holder misses it. */
    private static final Duration NO_WAIT = Duration.ofSeconds(2);

    /** Generous, for slow CI machines: only a store that hangs misses it. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static final RequestFingerprint FINGERPRINT = fingerprint("contract request");

    /** The lease of the tests that wait for one to run out; leases are judged on the store's own clock. */
    private static final Duration SHORT_LEASE = Duration.ofSeconds(1);

    private String scope;
    private Instant t0;
    private ExecutorService workers;

    /**
     * The store under test. It may return the same instance for every test; the contract never closes
     * it.
     */
    protected abstract IdempotencyStore store();

    @BeforeEach
    void openContractFixture() {
        scope = uniqueScope("contract");
        t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        AtomicInteger threads = new AtomicInteger();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, "store-contract-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        workers = Executors.newCachedThreadPool(factory);
    }

    @AfterEach
    void closeContractFixture() throws InterruptedException {
        workers.shutdownNow();
        workers.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- claiming

    /** A key nobody claimed is {@link ClaimResult.Acquired}. */
    @Test
    public void claimOfAbsentKeyIsAcquired() {
        try (Claim claim = acquire(at(newKey(), t0))) {
            claim.complete(response(201, "created"), t0.plus(DEFAULT_TTL));
        }
    }

    /** While a claim is open, a claim of its key from another thread is {@link ClaimResult.Busy}. */
    @Test
    public void claimFromAnotherThreadIsBusyWhileTheFirstClaimIsOpen() {
        RecordKey key = newKey();
        StoredResponse response = response(201, "first holder");
        try (Claim first = acquire(at(key, t0))) {
            ClaimResult second = onWorker(PATIENCE, "the second claim", () -> probe(at(key, t0.plusSeconds(1))));
            assertBusy(second, "a claim of " + key + " while another thread holds it");
            first.complete(response, t0.plus(DEFAULT_TTL));
        }
        assertResponse(response, existingAt(key, t0.plusSeconds(2)).response());
    }

    /**
     * While a claim is open, a claim of its key from the same thread is {@link ClaimResult.Busy}: a
     * store must not hand the key out again because the thread already holds it.
     */
    @Test
    public void claimFromTheSameThreadIsBusyWhileTheFirstClaimIsOpen() {
        RecordKey key = newKey();
        StoredResponse response = response(201, "first holder");
        // One worker runs both claims, so a store that blocks on its own holder fails instead of hanging.
        ClaimResult second = onWorker(PATIENCE, "two claims on one thread", () -> {
            try (Claim first = acquire(at(key, t0))) {
                ClaimResult result = probe(at(key, t0.plusSeconds(1)));
                first.complete(response, t0.plus(DEFAULT_TTL));
                return result;
            }
        });
        assertBusy(second, "a claim of " + key + " while the same thread holds it");
        assertResponse(response, existingAt(key, t0.plusSeconds(2)).response());
    }

    /**
     * A claim of a held key answers {@link ClaimResult.Busy} at once rather than waiting for the holder,
     * and the holder can still complete afterwards.
     */
    @Test
    public void busyIsReturnedWithoutWaitingForTheHolder() {
        RecordKey key = newKey();
        StoredResponse response = response(200, "held");
        try (Claim holder = acquire(at(key, t0))) {
            long started = System.nanoTime();
            ClaimResult second = onWorker(NO_WAIT, "a claim of a held key", () -> probe(at(key, t0.plusSeconds(1))));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertBusy(second, "a claim of " + key + " while it is held");
            assertTrue(took.compareTo(NO_WAIT) < 0, "Busy took " + took + "; a claim must not wait for the holder");
            holder.complete(response, t0.plus(DEFAULT_TTL));
        }
        assertResponse(response, assertExisting(probe(at(key, t0.plusSeconds(2))), "after the holder completed")
                .response());
    }

    // ---------------------------------------------------------------- what a record keeps

    /** Status, header order, header name case, repeated headers and body come back exactly as stored. */
    @Test
    public void keepsStatusHeaderOrderHeaderNameCaseAndRepeatedHeaders() {
        assertRoundTrip(response(201, "{\"id\":42}".getBytes(StandardCharsets.UTF_8),
                new Header("X-Request-ID", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
                new Header("Content-Type", "application/json"),
                new Header("set-cookie", "a=1; Path=/"),
                new Header("Set-Cookie", "b=2; Path=/; HttpOnly"),
                new Header("Link", "<https://example.com/a>; rel=\"next\", <https://example.com/b>; rel=\"last\""),
                new Header("x-empty", ""),
                new Header("SET-COOKIE", "c=3"),
                new Header("ETag", "\"33a64df5\""),
                new Header("Location", "/orders/42?x=1&y=%20")));
    }

    /** A binary body, with 0x00, 0xFF, every other byte value and invalid UTF-8, comes back byte for byte. */
    @Test
    public void keepsBinaryBodyByteForByte() {
        byte[] body = new byte[256 + 6];
        body[0] = 0x00;
        body[1] = (byte) 0xFF;
        for (int i = 0; i < 256; i++) {
            body[2 + i] = (byte) i;
        }
        // A lone continuation byte and a truncated sequence: invalid UTF-8 a text column would mangle.
        body[258] = (byte) 0x80;
        body[259] = (byte) 0xC3;
        body[260] = (byte) 0x00;
        body[261] = (byte) 0xFF;
        assertRoundTrip(response(200, body, new Header("Content-Type", "application/octet-stream")));
    }

    /** An empty body with no headers comes back empty, not absent. */
    @Test
    public void keepsEmptyBodyAndEmptyHeaderList() {
        assertRoundTrip(response(204, new byte[0]));
    }

    /** A body of 1 MiB comes back byte for byte. */
    @Test
    public void keepsOneMebibyteBody() {
        byte[] body = new byte[1024 * 1024];
        new Random(20240229L).nextBytes(body);
        assertRoundTrip(response(200, body, new Header("Content-Type", "application/octet-stream")));
    }

    /**
     * The record carries the fingerprint (version and digest) of the claim that completed it, even when a
     * later claim brings a different one: the store does not judge, the caller compares.
     */
    @Test
    public void existingRecordCarriesTheFingerprintOfTheCompletingClaim() {
        RecordKey key = newKey();
        RequestFingerprint original = fingerprint("original body");
        RequestFingerprint other = fingerprint("another body");
        try (Claim claim = acquire(new ClaimRequest(key, original, t0, t0.plus(DEFAULT_TTL)))) {
            claim.complete(response(201, "created"), t0.plus(DEFAULT_TTL));
        }
        StoredRecord record = assertExisting(probe(new ClaimRequest(key, other, t0.plusSeconds(1),
                t0.plusSeconds(1).plus(DEFAULT_TTL))), "a claim with a different fingerprint");
        assertEquals(key, record.key(), "record key");
        assertEquals(original.version(), record.fingerprint().version(), "fingerprint version");
        assertArrayEquals(original.digest(), record.fingerprint().digest(), "fingerprint digest");
        assertEquals(original, record.fingerprint());
    }

    /**
     * The record's {@code createdAt} is the completing claim's {@code now}, and its {@code expiresAt} the one
     * given to {@link Claim#complete}, not the claim's, at least to the millisecond.
     */
    @Test
    public void existingRecordCarriesTheClaimsCreatedAtAndTheExpiryGivenAtCompletion() {
        RecordKey key = newKey();
        // Sub-millisecond digits a store may truncate or round to microseconds, without carrying into
        // the millisecond.
        Instant now = t0.plusNanos(123_456_789);
        Instant expiresAt = now.plus(Duration.ofMinutes(90)).plusNanos(321_000);
        try (Claim claim = acquire(new ClaimRequest(key, FINGERPRINT, now, now.plus(Duration.ofMinutes(1))))) {
            claim.complete(response(201, "created"), expiresAt);
        }
        StoredRecord record = assertExisting(probe(at(key, now.plusSeconds(1))), "after completion");
        assertEquals(now.truncatedTo(ChronoUnit.MILLIS), record.createdAt().truncatedTo(ChronoUnit.MILLIS),
                "createdAt");
        assertEquals(expiresAt.truncatedTo(ChronoUnit.MILLIS), record.expiresAt().truncatedTo(ChronoUnit.MILLIS),
                "expiresAt");
    }

    /** Keys and scopes are case-sensitive: keys or scopes differing only in case are different records. */
    @Test
    public void keysAndScopesDifferingOnlyInCaseAreDistinct() {
        String suffix = UUID.randomUUID().toString();
        String lowerScope = "case-" + suffix;
        String upperScope = "CASE-" + suffix.toUpperCase(Locale.ROOT);
        RecordKey lowerKey = new RecordKey(lowerScope, IdempotencyKey.of("order-" + suffix));
        RecordKey upperKey = new RecordKey(lowerScope, IdempotencyKey.of("ORDER-" + suffix));
        RecordKey otherScope = new RecordKey(upperScope, IdempotencyKey.of("order-" + suffix));
        completeRecord(lowerKey, t0, response(201, "lower key"));
        completeRecord(upperKey, t0, response(201, "upper key"));
        completeRecord(otherScope, t0, response(201, "upper scope"));
        assertResponse(response(201, "lower key"), existingAt(lowerKey, t0.plusSeconds(1)).response());
        assertResponse(response(201, "upper key"), existingAt(upperKey, t0.plusSeconds(1)).response());
        assertResponse(response(201, "upper scope"), existingAt(otherScope, t0.plusSeconds(1)).response());
    }

    /**
     * The longest scope ({@value RecordKey#MAX_SCOPE_LENGTH} characters, not all ASCII) and the longest
     * key ({@value IdempotencyKey#MAX_LENGTH} characters of visible ASCII) are kept whole: keys that differ
     * only in their last character stay different records.
     */
    @Test
    public void keepsLongestScopesAndKeysWithoutTruncation() {
        String longScope = pad(scope + "-é日", RecordKey.MAX_SCOPE_LENGTH - 1, 'é');
        String keyStem = pad(UUID.randomUUID() + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
                IdempotencyKey.MAX_LENGTH - 1, 'k');
        RecordKey first = new RecordKey(longScope + "1", IdempotencyKey.of(keyStem + "1"));
        RecordKey lastKeyCharDiffers = new RecordKey(longScope + "1", IdempotencyKey.of(keyStem + "2"));
        RecordKey lastScopeCharDiffers = new RecordKey(longScope + "2", IdempotencyKey.of(keyStem + "1"));
        completeRecord(first, t0, response(201, "first"));
        completeRecord(lastKeyCharDiffers, t0, response(201, "key differs"));
        completeRecord(lastScopeCharDiffers, t0, response(201, "scope differs"));
        StoredRecord record = existingAt(first, t0.plusSeconds(1));
        assertEquals(first, record.key(), "record key");
        assertResponse(response(201, "first"), record.response());
        assertResponse(response(201, "key differs"), existingAt(lastKeyCharDiffers, t0.plusSeconds(1)).response());
        assertResponse(response(201, "scope differs"),
                existingAt(lastScopeCharDiffers, t0.plusSeconds(1)).response());
    }

    // ---------------------------------------------------------------- the claim's life cycle

    /** {@link Claim#abandon()} frees the key: the next claim is {@link ClaimResult.Acquired}. */
    @Test
    public void abandonFreesTheKey() {
        RecordKey key = newKey();
        try (Claim claim = acquire(at(key, t0))) {
            claim.abandon();
        }
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after the holder abandoned");
    }

    /** {@link Claim#close()} without {@link Claim#complete} frees the key and leaves no record. */
    @Test
    public void closeWithoutCompleteFreesTheKey() {
        RecordKey key = newKey();
        Claim claim = acquire(at(key, t0));
        claim.close();
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after the holder closed without completing");
    }

    /** {@link Claim#close()} after {@link Claim#complete} keeps the record. */
    @Test
    public void closeAfterCompleteKeepsTheRecord() {
        RecordKey key = newKey();
        StoredResponse response = response(201, "kept");
        Claim claim = acquire(at(key, t0));
        try {
            claim.complete(response, t0.plus(DEFAULT_TTL));
        } finally {
            claim.close();
        }
        claim.close();
        assertResponse(response, existingAt(key, t0.plusSeconds(1)).response());
    }

    /** {@link Claim#abandon()} and {@link Claim#close()} may be called again without effect or error. */
    @Test
    public void abandonAndCloseAreIdempotent() {
        RecordKey key = newKey();
        Claim claim = acquire(at(key, t0));
        claim.abandon();
        claim.abandon();
        claim.close();
        claim.close();
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after repeated abandon and close");
    }

    /**
     * Closing or abandoning a claim that already ended does not release the key from the claim that holds
     * it now.
     */
    @Test
    public void lateCloseOfAnEndedClaimDoesNotReleaseTheNextHolder() {
        RecordKey key = newKey();
        StoredResponse response = response(201, "second holder");
        Claim first = acquire(at(key, t0));
        first.abandon();
        try (Claim second = acquire(at(key, t0.plusSeconds(1)))) {
            first.close();
            first.abandon();
            assertBusy(onWorker(PATIENCE, "a claim while the second holder is open",
                    () -> probe(at(key, t0.plusSeconds(2)))), "a claim after the first holder closed late");
            second.complete(response, t0.plus(DEFAULT_TTL));
        }
        first.close();
        assertResponse(response, existingAt(key, t0.plusSeconds(3)).response());
    }

    /** A second {@link Claim#complete} throws {@link IllegalStateException} and leaves the first outcome. */
    @Test
    public void completeTwiceThrowsIllegalStateException() {
        RecordKey key = newKey();
        StoredResponse first = response(201, "first");
        try (Claim claim = acquire(at(key, t0))) {
            claim.complete(first, t0.plus(DEFAULT_TTL));
            assertThrows(IllegalStateException.class,
                    () -> claim.complete(response(500, "second"), t0.plus(DEFAULT_TTL)));
        }
        assertResponse(first, existingAt(key, t0.plusSeconds(1)).response());
    }

    /** {@link Claim#complete} after {@link Claim#abandon()} throws and stores nothing. */
    @Test
    public void completeAfterAbandonThrowsIllegalStateException() {
        RecordKey key = newKey();
        try (Claim claim = acquire(at(key, t0))) {
            claim.abandon();
            assertThrows(IllegalStateException.class,
                    () -> claim.complete(response(201, "too late"), t0.plus(DEFAULT_TTL)));
        }
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after complete-after-abandon");
    }

    /** {@link Claim#complete} after {@link Claim#close()} throws and stores nothing. */
    @Test
    public void completeAfterCloseThrowsIllegalStateException() {
        RecordKey key = newKey();
        Claim claim = acquire(at(key, t0));
        claim.close();
        assertThrows(IllegalStateException.class,
                () -> claim.complete(response(201, "too late"), t0.plus(DEFAULT_TTL)));
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after complete-after-close");
    }

    /** {@link Claim#execute} after {@link Claim#complete} throws and does not run the work. */
    @Test
    public void executeAfterCompleteThrowsIllegalStateException() {
        AtomicBoolean ran = new AtomicBoolean();
        try (Claim claim = acquire(at(newKey(), t0))) {
            claim.complete(response(201, "done"), t0.plus(DEFAULT_TTL));
            assertThrows(IllegalStateException.class, () -> claim.execute(() -> ran.getAndSet(true)));
        }
        assertFalse(ran.get(), "work ran after complete");
    }

    /** {@link Claim#execute} after {@link Claim#abandon()} throws and does not run the work. */
    @Test
    public void executeAfterAbandonThrowsIllegalStateException() {
        AtomicBoolean ran = new AtomicBoolean();
        try (Claim claim = acquire(at(newKey(), t0))) {
            claim.abandon();
            assertThrows(IllegalStateException.class, () -> claim.execute(() -> ran.getAndSet(true)));
        }
        assertFalse(ran.get(), "work ran after abandon");
    }

    /** {@link Claim#execute} returns the work's value, and the claim can complete afterwards. */
    @Test
    public void executeReturnsTheWorksValue() throws Exception {
        RecordKey key = newKey();
        Object value = new Object();
        try (Claim claim = acquire(at(key, t0))) {
            assertSame(value, claim.execute(() -> value));
            claim.complete(response(201, "after execute"), t0.plus(DEFAULT_TTL));
        }
        assertResponse(response(201, "after execute"), existingAt(key, t0.plusSeconds(1)).response());
    }

    /** {@link Claim#execute} propagates the work's checked and unchecked exceptions unchanged. */
    @Test
    public void executePropagatesTheWorksExceptionUnchanged() {
        IOException checked = new IOException("checked failure of the work");
        IllegalArgumentException unchecked = new IllegalArgumentException("unchecked failure of the work");
        RecordKey key = newKey();
        try (Claim claim = acquire(at(key, t0))) {
            assertSame(checked, assertThrows(IOException.class, () -> claim.execute(() -> {
                throw checked;
            })));
            assertSame(unchecked, assertThrows(IllegalArgumentException.class, () -> claim.execute(() -> {
                throw unchecked;
            })));
        }
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after failed work and close");
    }

    // ---------------------------------------------------------------- expiry

    /** A record is {@link ClaimResult.Existing} at every {@code now} before its {@code expiresAt}. */
    @Test
    public void recordIsExistingUntilJustBeforeItExpires() {
        RecordKey key = newKey();
        StoredResponse response = response(201, "alive");
        completeRecord(key, t0, response);
        Instant expiresAt = t0.plus(DEFAULT_TTL);
        assertResponse(response, existingAt(key, t0).response());
        assertResponse(response, existingAt(key, expiresAt.minusSeconds(60)).response());
        assertResponse(response, existingAt(key, expiresAt.minusMillis(1)).response());
    }

    /** A record whose {@code expiresAt} equals {@code now} is gone: the claim is {@link ClaimResult.Acquired}. */
    @Test
    public void expiredRecordIsReclaimableAtItsExpiryInstant() {
        RecordKey key = newKey();
        completeRecord(key, t0, response(201, "expiring"));
        assertAcquired(probe(at(key, t0.plus(DEFAULT_TTL))), "a claim at the record's expiresAt");
    }

    /** A record is gone at every {@code now} after its {@code expiresAt}. */
    @Test
    public void expiredRecordIsReclaimableAfterItsExpiry() {
        RecordKey key = newKey();
        completeRecord(key, t0, response(201, "expired"));
        assertAcquired(probe(at(key, t0.plus(DEFAULT_TTL).plusMillis(1))), "a claim 1 ms after expiry");
        assertAcquired(probe(at(key, t0.plus(Duration.ofDays(30)))), "a claim 30 days after expiry");
    }

    /**
     * Reclaiming an expired record replaces it: once the new claim completes, claims get the new
     * response, fingerprint and times.
     */
    @Test
    public void reclaimingAnExpiredRecordReplacesIt() {
        RecordKey key = newKey();
        completeRecord(key, t0, response(201, "old"));
        Instant later = t0.plus(DEFAULT_TTL);
        RequestFingerprint newFingerprint = fingerprint("new request");
        StoredResponse newResponse = response(202, "new");
        try (Claim claim = acquire(new ClaimRequest(key, newFingerprint, later, later.plus(DEFAULT_TTL)))) {
            claim.complete(newResponse, later.plus(DEFAULT_TTL));
        }
        StoredRecord record = existingAt(key, later.plusMillis(1));
        assertResponse(newResponse, record.response());
        assertEquals(newFingerprint, record.fingerprint(), "fingerprint of the new record");
        assertEquals(later, record.createdAt().truncatedTo(ChronoUnit.MILLIS), "createdAt of the new record");
        assertEquals(later.plus(DEFAULT_TTL), record.expiresAt().truncatedTo(ChronoUnit.MILLIS),
                "expiresAt of the new record");
        assertResponse(newResponse, existingAt(key, later.plus(DEFAULT_TTL).minusMillis(1)).response());
    }

    // ---------------------------------------------------------------- scopes

    /**
     * The same key in two scopes names two records: both can be held at once, each completes on its own,
     * and each scope sees its own response.
     */
    @Test
    public void sameKeyInTwoScopesIsIndependent() {
        IdempotencyKey shared = IdempotencyKey.of("shared-" + UUID.randomUUID());
        RecordKey inA = new RecordKey(scope + "-a", shared);
        RecordKey inB = new RecordKey(scope + "-b", shared);
        StoredResponse responseA = response(201, "for scope a");
        StoredResponse responseB = response(409, "for scope b");
        try (Claim a = acquire(at(inA, t0)); Claim b = acquire(at(inB, t0))) {
            a.complete(responseA, t0.plus(DEFAULT_TTL));
            assertBusy(onWorker(PATIENCE, "a claim in scope b", () -> probe(at(inB, t0.plusSeconds(1)))),
                    "scope b while its own claim is open and scope a completed");
            b.complete(responseB, t0.plus(DEFAULT_TTL));
        }
        assertResponse(responseA, existingAt(inA, t0.plusSeconds(2)).response());
        assertResponse(responseB, existingAt(inB, t0.plusSeconds(2)).response());
    }

    // ---------------------------------------------------------------- concurrency

    /**
     * {@value #RACERS} threads claiming one fresh key at the same moment: exactly one acquires it and the
     * others are {@link ClaimResult.Busy} while it is held; once it completes, every claim is
     * {@link ClaimResult.Existing}. Repeated for {@value #RACED_KEYS} keys.
     */
    @Test
    public void concurrentClaimsOfOneKeyAcquireItExactlyOnce() {
        for (int round = 0; round < RACED_KEYS; round++) {
            RecordKey key = newKey();
            StoredResponse response = response(201, "winner of round " + round);
            List<ClaimResult> results = race(at(key, t0), response);
            assertOneAcquiredOthersBusy(results, key + " in round " + round);
            List<ClaimResult> later = race(at(key, t0.plusSeconds(1)), null);
            for (ClaimResult result : later) {
                assertResponse(response, assertExisting(result, "a concurrent claim after completion").response());
            }
        }
    }

    /**
     * While a claim is held every concurrent claimer is {@link ClaimResult.Busy}; after the holder
     * abandons, exactly one of {@value #RACERS} concurrent claimers acquires the key.
     */
    @Test
    public void abandonLetsExactlyOneOfTheNextConcurrentClaimersAcquire() {
        for (int round = 0; round < 5; round++) {
            RecordKey key = newKey();
            StoredResponse response = response(201, "after abandon, round " + round);
            try (Claim holder = acquire(at(key, t0))) {
                for (ClaimResult result : race(at(key, t0.plusSeconds(1)), null)) {
                    assertBusy(result, "a concurrent claim while " + key + " is held");
                }
                holder.abandon();
            }
            assertOneAcquiredOthersBusy(race(at(key, t0.plusSeconds(2)), response), key + " after abandon");
            assertResponse(response, existingAt(key, t0.plusSeconds(3)).response());
        }
    }

    /**
     * Claimers polling a held key while its holder completes: the first answer each gets that is not
     * {@link ClaimResult.Busy} is the holder's outcome, {@link ClaimResult.Existing}, never
     * {@link ClaimResult.Acquired}. A store that learns "the holder is gone" and "what the holder stored"
     * at two different moments (a lock granted after the holder's commit, the record read from a snapshot
     * taken before it) would hand the key to a second runner in that gap. Repeated for
     * {@value #RACED_KEYS} keys with 4 pollers each.
     */
    @Test
    public void claimersPollingWhileTheHolderCompletesGetItsOutcomeNeverTheKey() throws Exception {
        int pollers = 4;
        for (int round = 0; round < RACED_KEYS; round++) {
            RecordKey key = newKey();
            StoredResponse response = response(201, "completed under polling, round " + round);
            Claim holder = acquire(at(key, t0));
            CountDownLatch polling = new CountDownLatch(pollers);
            List<Future<ClaimResult>> answers = new ArrayList<>();
            for (int i = 0; i < pollers; i++) {
                answers.add(workers.submit(() -> {
                    long deadline = System.nanoTime() + PATIENCE.toNanos();
                    boolean counted = false;
                    while (System.nanoTime() < deadline) {
                        ClaimResult result = store().claim(at(key, t0.plusSeconds(1)));
                        if (result instanceof ClaimResult.Acquired acquired) {
                            acquired.claim().abandon();
                        }
                        if (!(result instanceof ClaimResult.Busy)) {
                            return result;
                        }
                        if (!counted) {
                            polling.countDown();
                            counted = true;
                        }
                    }
                    throw new TimeoutException("still Busy after " + PATIENCE);
                }));
            }
            assertTrue(polling.await(PATIENCE.toSeconds(), TimeUnit.SECONDS), "every poller saw the key held");
            holder.complete(response, t0.plus(DEFAULT_TTL));
            for (Future<ClaimResult> answer : answers) {
                ClaimResult result = answer.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertResponse(response, assertExisting(result, "a poller's first answer after " + key
                        + " completed, round " + round).response());
            }
        }
    }

    /**
     * {@value #RACERS} threads reclaiming one expired record at the same moment: exactly one acquires it,
     * and its outcome replaces the old record.
     */
    @Test
    public void concurrentReclaimsOfAnExpiredRecordAcquireItExactlyOnce() {
        for (int round = 0; round < 10; round++) {
            RecordKey key = newKey();
            completeRecord(key, t0, response(201, "expired, round " + round));
            Instant later = t0.plus(DEFAULT_TTL).plusSeconds(1);
            StoredResponse response = response(201, "reclaimed, round " + round);
            assertOneAcquiredOthersBusy(race(at(key, later), response), "expired " + key);
            assertResponse(response, existingAt(key, later.plusSeconds(1)).response());
        }
    }

    // ---------------------------------------------------------------- purging

    /**
     * {@code purgeExpired(now, limit)} deletes the records with {@code expiresAt <= now}, including one
     * expiring exactly at {@code now}, and keeps every record that expires later, even by a millisecond.
     */
    @Test
    public void purgeDeletesOnlyRecordsExpiredAtOrBeforeNow() {
        Instant era = Instant.parse("2100-01-01T00:00:00Z");
        purgeEverythingExpiredBy(era);
        Instant created = era.plusSeconds(1);
        Instant purgeAt = era.plusSeconds(10);
        RecordKey expiredBefore = newKey();
        RecordKey expiredAtNow = newKey();
        RecordKey expiresJustAfter = newKey();
        RecordKey expiresLater = newKey();
        completeRecord(expiredBefore, created, era.plusSeconds(5), response(200, "expired before"));
        completeRecord(expiredAtNow, created, purgeAt, response(200, "expired at now"));
        completeRecord(expiresJustAfter, created, purgeAt.plusMillis(1), response(200, "just after"));
        completeRecord(expiresLater, created, era.plus(DEFAULT_TTL), response(200, "later"));

        assertEquals(2, store().purgeExpired(purgeAt, 100), "records purged at " + purgeAt);

        // Probing before every expiry tells "purged" (Acquired) from "kept" (Existing).
        Instant probeAt = era.plusSeconds(2);
        assertAcquired(probe(at(expiredBefore, probeAt)), "a record that expired before the purge's now");
        assertAcquired(probe(at(expiredAtNow, probeAt)), "a record that expired at the purge's now");
        assertResponse(response(200, "just after"), existingAt(expiresJustAfter, probeAt).response());
        assertResponse(response(200, "later"), existingAt(expiresLater, probeAt).response());
    }

    /** {@code purgeExpired} deletes at most {@code limit} records per call and returns how many it deleted. */
    @Test
    public void purgeDeletesAtMostLimitPerCallAndReturnsHowManyItDeleted() {
        Instant era = Instant.parse("2110-01-01T00:00:00Z");
        purgeEverythingExpiredBy(era);
        List<RecordKey> expired = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            RecordKey key = newKey();
            completeRecord(key, era.plusMillis(i), era.plusSeconds(i), response(200, "expired " + i));
            expired.add(key);
        }
        List<RecordKey> live = List.of(newKey(), newKey());
        for (RecordKey key : live) {
            completeRecord(key, era.plusMillis(1), era.plus(DEFAULT_TTL), response(200, "live"));
        }

        Instant purgeAt = era.plusSeconds(10);
        assertEquals(2, store().purgeExpired(purgeAt, 2), "first purge with limit 2");
        assertEquals(2, store().purgeExpired(purgeAt, 2), "second purge with limit 2");
        assertEquals(1, store().purgeExpired(purgeAt, 2), "third purge with limit 2");
        assertEquals(0, store().purgeExpired(purgeAt, 2), "fourth purge with limit 2");

        Instant probeAt = era.plusMillis(500);
        for (RecordKey key : expired) {
            assertAcquired(probe(at(key, probeAt)), "an expired record after purging");
        }
        for (RecordKey key : live) {
            assertResponse(response(200, "live"), existingAt(key, probeAt).response());
        }
    }

    /**
     * {@code purgeExpired} never deletes an open claim, even one whose {@code expiresAt} has passed: the
     * holder still completes, and its record is there afterwards.
     */
    @Test
    public void purgeNeverDeletesAnOpenClaim() {
        Instant era = Instant.parse("2120-01-01T00:00:00Z");
        purgeEverythingExpiredBy(era);
        RecordKey key = newKey();
        StoredResponse response = response(201, "completed after the purge");
        try (Claim claim = acquire(new ClaimRequest(key, FINGERPRINT, era.plusSeconds(1), era.plusSeconds(5)))) {
            // From another thread, as a background purger runs.
            int purged = onWorker(PATIENCE, "a purge while a claim is open",
                    () -> store().purgeExpired(era.plus(Duration.ofHours(2)), 100));
            assertEquals(0, purged, "records purged while the only one is an open claim");
            claim.complete(response, era.plusSeconds(5));
        }
        assertResponse(response, existingAt(key, era.plusSeconds(2)).response());
    }

    /**
     * {@code purgeExpired} never deletes an open claim that reclaimed an expired record: the claim still
     * completes, and the new record is {@link ClaimResult.Existing} afterwards.
     */
    @Test
    public void purgeNeverDeletesAnOpenClaimOfAnExpiredRecord() {
        Instant era = Instant.parse("2130-01-01T00:00:00Z");
        purgeEverythingExpiredBy(era);
        RecordKey key = newKey();
        completeRecord(key, era.plusSeconds(1), era.plusSeconds(5), response(201, "old"));
        Instant reclaimAt = era.plusSeconds(10);
        StoredResponse response = response(202, "new");
        try (Claim claim = acquire(at(key, reclaimAt))) {
            int purged = onWorker(PATIENCE, "a purge while an expired record is reclaimed",
                    () -> store().purgeExpired(reclaimAt.plus(Duration.ofHours(2)), 100));
            assertEquals(0, purged, "records purged while the only one is held by a claim");
            claim.complete(response, reclaimAt.plus(DEFAULT_TTL));
        }
        assertResponse(response, existingAt(key, reclaimAt.plusSeconds(1)).response());
    }

    // ---------------------------------------------------------------- lease mode

    /**
     * A lease-mode claim is committed at once: a claim from elsewhere is {@link ClaimResult.Busy} with the
     * rest of the lease as its hint and the holder's fingerprint, so the caller can tell a retry (409) from
     * a key reused for another request (422).
     */
    @Test
    public void leaseClaimIsBusyForOthersWithTheRestOfTheLeaseAndTheHoldersFingerprint() {
        RecordKey key = newKey();
        try (Claim holder = acquire(leaseAt(key, t0, FINGERPRINT, Duration.ofSeconds(30)))) {
            assertTrue(holder.fencingToken() >= 1, "a lease carries a fencing token, not " + holder.fencingToken());
            ClaimResult.Busy busy = assertInstanceOf(ClaimResult.Busy.class, onWorker(PATIENCE, "a claim of a leased key",
                    () -> probe(leaseAt(key, t0.plusSeconds(1), FINGERPRINT, Duration.ofSeconds(30)))));
            Duration left = busy.retryAfterHint().orElseThrow(() -> new AssertionError("no lease hint: " + busy));
            assertTrue(!left.isNegative() && left.compareTo(Duration.ofSeconds(30)) <= 0, "lease left " + left);
            assertEquals(Optional.of(FINGERPRINT), busy.holderFingerprint());
            holder.complete(response(201, "leased"), t0.plus(DEFAULT_TTL));
        }
        assertResponse(response(201, "leased"), existingAt(key, t0.plusSeconds(2)).response());
    }

    /** A transaction-mode claim that meets a live lease is busy too. */
    @Test
    public void transactionClaimOfALeasedKeyIsBusy() {
        RecordKey key = newKey();
        try (Claim holder = acquire(leaseAt(key, t0, FINGERPRINT, Duration.ofSeconds(30)))) {
            assertBusy(onWorker(PATIENCE, "a transaction claim of a leased key", () -> probe(at(key, t0.plusSeconds(1)))),
                    "a transaction claim of " + key + " while it is leased");
            holder.abandon();
        }
    }

    /** Abandoning a lease-mode claim frees its key at once. */
    @Test
    public void abandonedLeaseFreesTheKey() {
        RecordKey key = newKey();
        try (Claim holder = acquire(leaseAt(key, t0, FINGERPRINT, Duration.ofSeconds(30)))) {
            holder.abandon();
        }
        assertAcquired(probe(leaseAt(key, t0.plusSeconds(1), FINGERPRINT, Duration.ofSeconds(30))), "after abandon");
    }

    /**
     * A lease that runs out (its holder crashed, or stalled) lets the same request take the key over with
     * a higher fencing token; the old holder can then neither store its outcome nor release the new
     * holder's key, and its renewal reports the loss. The lease is judged on the store's own clock, so this
     * test waits for it in real time.
     */
    @Test
    public void expiredLeaseIsTakenOverAndTheOldHolderIsFencedOff() throws InterruptedException {
        RecordKey key = newKey();
        Claim stale = acquire(leaseAt(key, t0, FINGERPRINT, SHORT_LEASE));
        try {
            Thread.sleep(SHORT_LEASE.plusMillis(300).toMillis());
            try (Claim takeover = acquire(leaseAt(key, t0.plusSeconds(5), FINGERPRINT, Duration.ofSeconds(30)))) {
                assertTrue(takeover.fencingToken() > stale.fencingToken(), "takeover token " + takeover.fencingToken()
                        + " must exceed the stale holder's " + stale.fencingToken());
                assertFalse(stale.renew(), "the stale holder's renewal reports the lost lease");
                assertThrows(LeaseLostException.class,
                        () -> stale.complete(response(201, "too late"), t0.plus(DEFAULT_TTL)));
                stale.close();
                assertBusy(probe(leaseAt(key, t0.plusSeconds(6), FINGERPRINT, Duration.ofSeconds(30))),
                        "the stale holder's close must not release the new holder");
                takeover.complete(response(201, "took over"), t0.plus(DEFAULT_TTL));
            }
        } finally {
            stale.close();
        }
        assertResponse(response(201, "took over"), existingAt(key, t0.plusSeconds(7)).response());
    }

    /**
     * A holder that stalled past its lease stays fenced off after its key was freed and claimed anew: the
     * holder that took over failed and released the key, a retry claimed it afresh, and the stalled holder
     * comes back. Its token must not be the fresh claim's, or it would store its outcome on that claim (or
     * release it, and let a third request run beside it). Tokens keep growing across the record's deletion.
     */
    @Test
    public void staleHolderIsFencedOffFromAClaimMadeAfterItsKeyWasFreed() throws InterruptedException {
        RecordKey key = newKey();
        Claim stale = acquire(leaseAt(key, t0, FINGERPRINT, SHORT_LEASE));
        try {
            Thread.sleep(SHORT_LEASE.plusMillis(300).toMillis());
            Claim takeover = acquire(leaseAt(key, t0.plusSeconds(5), FINGERPRINT, Duration.ofSeconds(30)));
            long takeoverToken = takeover.fencingToken();
            takeover.abandon(); // its handler failed: the key is free at once
            try (Claim fresh = acquire(leaseAt(key, t0.plusSeconds(6), FINGERPRINT, Duration.ofSeconds(30)))) {
                assertTrue(fresh.fencingToken() > takeoverToken && takeoverToken > stale.fencingToken(),
                        "tokens must keep growing across the record's deletion: " + stale.fencingToken() + ", "
                        + takeoverToken + ", then " + fresh.fencingToken());
                assertFalse(stale.renew(), "the stale holder must not renew the fresh claim's lease");
                assertThrows(LeaseLostException.class,
                        () -> stale.complete(response(201, "too late"), t0.plus(DEFAULT_TTL)));
                stale.close();
                assertBusy(probe(leaseAt(key, t0.plusSeconds(7), FINGERPRINT, Duration.ofSeconds(30))),
                        "the stale holder's close must not release the fresh claim");
                fresh.complete(response(201, "fresh"), t0.plus(DEFAULT_TTL));
            }
        } finally {
            stale.close();
        }
        assertResponse(response(201, "fresh"), existingAt(key, t0.plusSeconds(8)).response());
    }

    /** An expired lease of one request is not taken over by another request with the same key. */
    @Test
    public void expiredLeaseIsNotTakenOverByADifferentRequest() throws InterruptedException {
        RecordKey key = newKey();
        RequestFingerprint other = fingerprint("another request");
        try (Claim stale = acquire(leaseAt(key, t0, FINGERPRINT, SHORT_LEASE))) {
            Thread.sleep(SHORT_LEASE.plusMillis(300).toMillis());
            ClaimResult.Busy busy = assertInstanceOf(ClaimResult.Busy.class,
                    probe(leaseAt(key, t0.plusSeconds(5), other, Duration.ofSeconds(30))));
            assertEquals(Optional.of(FINGERPRINT), busy.holderFingerprint(),
                    "the caller needs the holder's fingerprint to answer 422");
            stale.abandon();
        }
    }

    /**
     * A live lease is never taken over, however long ago its record's time to live ran out: the holder is
     * still running and renewing, so a takeover would run its request a second time. (The time to live is
     * judged by the caller's clock, the lease by the store's; here the caller's clock has passed the time
     * to live while the 30-second lease is far from over.)
     */
    @Test
    public void liveLeaseIsNeverTakenOverPastItsRecordsTimeToLive() {
        RecordKey key = newKey();
        RequestFingerprint other = fingerprint("another request");
        Duration lease = Duration.ofSeconds(30);
        try (Claim holder = acquire(ClaimRequest.lease(key, FINGERPRINT, t0, t0.plusSeconds(1), lease))) {
            Instant later = t0.plusSeconds(3);
            assertBusy(probe(ClaimRequest.lease(key, FINGERPRINT, later, later.plusSeconds(1), lease)),
                    "a retry once the key's time to live passed, while the lease is live");
            ClaimResult.Busy busy = assertInstanceOf(ClaimResult.Busy.class,
                    probe(ClaimRequest.lease(key, other, later, later.plusSeconds(1), lease)),
                    "a different request once the key's time to live passed, while the lease is live");
            assertEquals(Optional.of(FINGERPRINT), busy.holderFingerprint());
            assertBusy(probe(new ClaimRequest(key, FINGERPRINT, later, later.plusSeconds(1))),
                    "a transaction-mode claim once the key's time to live passed, while the lease is live");
            holder.complete(response(201, "the only run"), later.plus(DEFAULT_TTL));
        }
        assertResponse(response(201, "the only run"), existingAt(key, t0.plusSeconds(4)).response());
    }

    /**
     * A record expires a time to live after its outcome was stored, not after its claim: a request that ran
     * longer than the time to live is still replayed to its retries.
     */
    @Test
    public void recordExpiresATimeToLiveAfterItsCompletionNotItsClaim() {
        RecordKey key = newKey();
        Instant completedAt = t0.plusSeconds(10);
        try (Claim claim = acquire(new ClaimRequest(key, FINGERPRINT, t0, t0.plusSeconds(1)))) {
            claim.complete(response(201, "slow"), completedAt.plusSeconds(60));
        }
        assertResponse(response(201, "slow"), existingAt(key, completedAt.plusSeconds(59)).response());
        assertAcquired(probe(at(key, completedAt.plusSeconds(60))), "a claim a time to live after the completion");
    }

    /**
     * While a claim is open, a claim of its key for a different request is told so (a different fingerprint
     * than the holder's, or {@link ClaimResult.Busy#heldForAnotherRequest()}), and a retry of the holder's own
     * request is not: the caller answers the first 422 and the second 409, as the IETF draft asks.
     */
    @Test
    public void busyTellsADifferentRequestFromARetryOfTheHoldersRequest() {
        RecordKey key = newKey();
        RequestFingerprint other = fingerprint("another request");
        try (Claim holder = acquire(at(key, t0))) {
            ClaimResult.Busy retry = assertInstanceOf(ClaimResult.Busy.class, onWorker(PATIENCE,
                    "a retry of the holder's request", () -> probe(at(key, t0.plusSeconds(1)))));
            assertFalse(retry.heldForAnotherRequest(), "a retry of the holder's request is not another request: " + retry);
            retry.holderFingerprint().ifPresent(holderFingerprint -> assertEquals(FINGERPRINT, holderFingerprint));
            ClaimResult.Busy different = assertInstanceOf(ClaimResult.Busy.class, onWorker(PATIENCE,
                    "a different request under the held key", () -> probe(new ClaimRequest(key, other,
                            t0.plusSeconds(1), t0.plus(DEFAULT_TTL)))));
            assertTrue(different.heldForAnotherRequest()
                    || different.holderFingerprint().filter(f -> !f.equals(other)).isPresent(),
                    "a different request under a held key must be told apart from a retry: " + different);
            holder.complete(response(201, "held"), t0.plus(DEFAULT_TTL));
        }
    }

    /**
     * Renewing keeps a lease alive past its first expiry. The probe is another request under the key, which
     * never takes a lease over and is told how much of it is left; it is judged only when it came within half
     * a lease of the renewal before it (on a machine so loaded that a renewal and a claim take that long, the
     * lease may rightly have run out in between; the pair is then tried again).
     */
    @Test
    public void renewedLeaseOutlivesItsFirstExpiry() throws InterruptedException {
        RecordKey key = newKey();
        RequestFingerprint other = fingerprint("another request");
        try (Claim holder = acquire(leaseAt(key, t0, FINGERPRINT, SHORT_LEASE))) {
            long deadline = System.nanoTime() + SHORT_LEASE.multipliedBy(2).toNanos();
            while (System.nanoTime() < deadline) {
                assertTrue(holder.renew(), "renewing a lease nobody took over");
                Thread.sleep(SHORT_LEASE.toMillis() / 4);
            }
            for (int attempt = 1; ; attempt++) {
                long renewedAt = System.nanoTime();
                assertTrue(holder.renew(), "renewing a lease nobody took over");
                ClaimResult.Busy busy = assertInstanceOf(ClaimResult.Busy.class,
                        probe(leaseAt(key, t0.plusSeconds(5), other, Duration.ofSeconds(30))));
                if (System.nanoTime() - renewedAt < SHORT_LEASE.toNanos() / 2) {
                    Duration left = busy.retryAfterHint().orElseThrow();
                    assertTrue(left.compareTo(Duration.ZERO) > 0,
                            "a renewed lease after twice its duration must still have time left, not " + left);
                    break;
                }
                assertTrue(attempt < 20, "20 renewals each took longer than half the lease to be probed");
            }
            holder.complete(response(200, "renewed"), t0.plus(DEFAULT_TTL));
        }
    }

    /** A record past its time to live is not purged while a lease on it is live. */
    @Test
    public void purgeNeverDeletesALiveLease() {
        Instant era = Instant.parse("2140-01-01T00:00:00Z");
        purgeEverythingExpiredBy(era);
        RecordKey key = newKey();
        try (Claim holder = acquire(new ClaimRequest(key, FINGERPRINT, era, era.plusSeconds(5), dev.idempotency.ExecutionMode.LEASE,
                Duration.ofSeconds(30)))) {
            assertEquals(0, store().purgeExpired(era.plus(Duration.ofHours(1)), 100),
                    "a live lease was purged because its record's time to live had passed");
            holder.complete(response(201, "kept"), era.plus(DEFAULT_TTL));
        }
    }

    /**
     * A lease-mode record whose lease ran out (its holder stalled) but whose time to live has not is kept
     * by the purge: a retry inside the time to live must take it over with a higher fencing token, which a
     * purged and re-inserted record would not give, so the stalled holder could not be fenced off.
     */
    @Test
    public void purgeKeepsAnInProgressRecordWithinItsTimeToLiveAfterItsLeaseRanOut() throws InterruptedException {
        Instant era = Instant.parse("2150-01-01T00:00:00Z");
        purgeEverythingExpiredBy(era);
        RecordKey key = newKey();
        Claim stale = acquire(ClaimRequest.lease(key, FINGERPRINT, era, era.plus(Duration.ofHours(1)), SHORT_LEASE));
        try {
            Thread.sleep(SHORT_LEASE.plusMillis(300).toMillis());
            assertEquals(0, store().purgeExpired(era.plus(Duration.ofMinutes(30)), 100),
                    "a record inside its time to live was purged because its lease had run out");
            try (Claim retry = acquire(leaseAt(key, era.plus(Duration.ofMinutes(31)), FINGERPRINT,
                    Duration.ofSeconds(30)))) {
                assertTrue(retry.fencingToken() > stale.fencingToken(), "the retry took the kept record over with "
                        + "token " + retry.fencingToken() + ", above the stalled holder's " + stale.fencingToken());
                assertThrows(LeaseLostException.class,
                        () -> stale.complete(response(201, "too late"), era.plus(Duration.ofHours(2))));
                retry.complete(response(201, "retried"), era.plus(Duration.ofHours(2)));
            }
        } finally {
            stale.close();
        }
    }

    // ---------------------------------------------------------------- optimistic claims

    /**
     * An optimistic claim holds nothing until it completes: a usual claim of its key meanwhile acquires it; once
     * that one is given back, the optimistic claim stores its outcome, and later claims find it. A store without
     * optimistic claims refuses one, as {@link IdempotencyStore#claimOptimistically} says.
     */
    @Test
    public void optimisticClaimTakesItsKeyOnlyWhenItCompletes() {
        if (optimisticClaimsRefused()) {
            return;
        }
        RecordKey key = newKey();
        StoredResponse response = response(201, "optimistic");
        try (Claim claim = store().claimOptimistically(at(key, t0))) {
            ClaimResult meanwhile = onWorker(PATIENCE, "a usual claim beside an optimistic one",
                    () -> probe(at(key, t0.plusSeconds(1))));
            assertAcquired(meanwhile, "a claim of " + key + " while an optimistic claim of it is open");
            claim.complete(response, t0.plus(DEFAULT_TTL));
        }
        assertResponse(response, existingAt(key, t0.plusSeconds(2)).response());
    }

    /** An optimistic claim of a completed key fails to complete, and the record stays the first one. */
    @Test
    public void optimisticClaimOfACompletedKeyIsTakenAndKeepsTheFirstRecord() {
        if (optimisticClaimsRefused()) {
            return;
        }
        RecordKey key = newKey();
        StoredResponse first = response(201, "first");
        completeRecord(key, t0, first);
        try (Claim claim = store().claimOptimistically(at(key, t0.plusSeconds(1)))) {
            assertThrows(KeyTakenException.class, () -> claim.complete(response(201, "second"),
                    t0.plusSeconds(1).plus(DEFAULT_TTL)));
        }
        assertResponse(first, existingAt(key, t0.plusSeconds(2)).response());
    }

    /**
     * An optimistic claim never completes over a record that is there, even an expired one: it is told the key is
     * taken, and a usual claim, which takes an expired record over, is the way on.
     */
    @Test
    public void optimisticClaimOfAnExpiredRecordIsTakenAndAUsualClaimAcquiresIt() {
        if (optimisticClaimsRefused()) {
            return;
        }
        RecordKey key = newKey();
        completeRecord(key, t0, t0.plusSeconds(1), response(201, "expires"));
        Instant later = t0.plusSeconds(5);
        try (Claim claim = store().claimOptimistically(at(key, later))) {
            assertThrows(KeyTakenException.class, () -> claim.complete(response(201, "optimistic"),
                    later.plus(DEFAULT_TTL)));
        }
        StoredResponse again = response(201, "again");
        completeRecord(key, later, again);
        assertResponse(again, existingAt(key, later.plusSeconds(1)).response());
    }

    /**
     * An optimistic claim that completes while a usual claim holds the key never stores a second record: it is told
     * the key is taken, at once or once the holder has completed, and the holder's outcome is the record.
     */
    @Test
    public void optimisticClaimCompletingBesideAHolderNeverStoresASecondRecord() {
        if (optimisticClaimsRefused()) {
            return;
        }
        RecordKey key = newKey();
        StoredResponse held = response(201, "holder");
        Future<Throwable> optimistic;
        try (Claim holder = acquire(at(key, t0))) {
            optimistic = workers.submit(() -> {
                try (Claim claim = store().claimOptimistically(at(key, t0.plusSeconds(1)))) {
                    claim.complete(response(201, "optimistic"), t0.plusSeconds(1).plus(DEFAULT_TTL));
                    return null;
                } catch (KeyTakenException e) {
                    return e;
                }
            });
            holder.complete(held, t0.plus(DEFAULT_TTL));
        }
        assertInstanceOf(KeyTakenException.class, await(optimistic, PATIENCE, "the optimistic claim's completion"),
                "an optimistic claim beside a holder that completed");
        assertResponse(held, existingAt(key, t0.plusSeconds(2)).response());
    }

    /** An abandoned optimistic claim stores nothing, and is refused for a lease-mode request. */
    @Test
    public void abandonedOptimisticClaimStoresNothingAndLeaseRequestsAreRefused() {
        if (optimisticClaimsRefused()) {
            return;
        }
        RecordKey key = newKey();
        Claim claim = store().claimOptimistically(at(key, t0));
        claim.abandon();
        claim.close();
        assertAcquired(probe(at(key, t0.plusSeconds(1))), "a claim after an abandoned optimistic one");
        assertThrows(IllegalArgumentException.class,
                () -> store().claimOptimistically(leaseAt(newKey(), t0, FINGERPRINT, SHORT_LEASE)));
    }

    // ---------------------------------------------------------------- helpers

    private RecordKey newKey() {
        return uniqueKey(scope);
    }

    /** Whether the store refuses optimistic claims, after checking that it refuses them as the SPI says. */
    private boolean optimisticClaimsRefused() {
        if (store().supportsOptimisticClaims()) {
            return false;
        }
        assertThrows(UnsupportedOperationException.class, () -> store().claimOptimistically(at(newKey(), t0)),
                "a store that does not support optimistic claims refuses one");
        return true;
    }

    private static ClaimRequest leaseAt(RecordKey key, Instant now, RequestFingerprint fingerprint, Duration lease) {
        return ClaimRequest.lease(key, fingerprint, now, now.plus(DEFAULT_TTL), lease);
    }

    private static ClaimRequest at(RecordKey key, Instant now) {
        return new ClaimRequest(key, FINGERPRINT, now, now.plus(DEFAULT_TTL));
    }

    private Claim acquire(ClaimRequest request) {
        ClaimResult result = store().claim(request);
        if (result instanceof ClaimResult.Acquired acquired) {
            return acquired.claim();
        }
        return fail("Expected to acquire " + request.key() + " at " + request.now() + ", but the store answered "
                + result);
    }

    /** Claims and, if that acquired the key, gives it back at once: asks what a claim would find. */
    private ClaimResult probe(ClaimRequest request) {
        ClaimResult result = store().claim(request);
        if (result instanceof ClaimResult.Acquired acquired) {
            acquired.claim().close();
        }
        return result;
    }

    private StoredRecord existingAt(RecordKey key, Instant now) {
        return assertExisting(probe(at(key, now)), "a claim of " + key + " at " + now);
    }

    private void completeRecord(RecordKey key, Instant now, StoredResponse response) {
        completeRecord(key, now, now.plus(DEFAULT_TTL), response);
    }

    private void completeRecord(RecordKey key, Instant now, Instant expiresAt, StoredResponse response) {
        try (Claim claim = acquire(new ClaimRequest(key, FINGERPRINT, now, expiresAt))) {
            claim.complete(response, expiresAt);
        }
    }

    private void assertRoundTrip(StoredResponse response) {
        RecordKey key = newKey();
        completeRecord(key, t0, response);
        StoredRecord first = existingAt(key, t0.plusSeconds(1));
        assertEquals(key, first.key(), "record key");
        assertResponse(response, first.response());
        // A second read catches stores that hand out a stream or buffer only once.
        assertResponse(response, existingAt(key, t0.plusSeconds(2)).response());
    }

    private static void assertResponse(StoredResponse expected, StoredResponse actual) {
        assertEquals(expected.status(), actual.status(), "status");
        assertEquals(expected.headers(), actual.headers(), "headers, in order and with their name case");
        assertEquals(expected.bodyLength(), actual.bodyLength(), "body length");
        assertArrayEquals(expected.body(), actual.body(), "body bytes");
        assertEquals(expected, actual);
    }

    private static StoredRecord assertExisting(ClaimResult result, String what) {
        return assertInstanceOf(ClaimResult.Existing.class, result, what + " should find the completed record")
                .record();
    }

    private static void assertAcquired(ClaimResult result, String what) {
        assertInstanceOf(ClaimResult.Acquired.class, result, what + " should acquire the key");
    }

    private static void assertBusy(ClaimResult result, String what) {
        assertInstanceOf(ClaimResult.Busy.class, result, what + " should be Busy");
    }

    private static void assertOneAcquiredOthersBusy(List<ClaimResult> results, String what) {
        long acquired = results.stream().filter(ClaimResult.Acquired.class::isInstance).count();
        long busy = results.stream().filter(ClaimResult.Busy.class::isInstance).count();
        assertEquals(1, acquired, "claims that acquired " + what + " at once: " + results);
        // The winner completes only after every racer has answered, so nothing else is right.
        assertEquals(results.size() - 1, busy, "racers for " + what + " that were Busy: " + results);
    }

    private static String pad(String start, int length, char filler) {
        StringBuilder padded = new StringBuilder(start);
        while (padded.length() < length) {
            padded.append(filler);
        }
        return padded.substring(0, length);
    }

    /** Clears the way for a purge test: afterwards only records expiring after {@code era} remain. */
    private void purgeEverythingExpiredBy(Instant era) {
        int limit = 1000;
        for (int batch = 0; batch < 10_000; batch++) {
            if (store().purgeExpired(era, limit) < limit) {
                return;
            }
        }
        fail("purgeExpired(" + era + ", " + limit + ") still returned " + limit + " after 10000 calls");
    }

    /**
     * {@value #RACERS} threads claim with {@code request} at the same moment. Each winner keeps its claim
     * until every racer has answered, then completes it with {@code completeWith} if it is the only winner
     * (and {@code completeWith} is not null) or abandons it, on its own thread.
     *
     * @return every racer's answer
     */
    private List<ClaimResult> race(ClaimRequest request, StoredResponse completeWith) {
        CyclicBarrier start = new CyclicBarrier(RACERS);
        CountDownLatch allAnswered = new CountDownLatch(1);
        AtomicReference<StoredResponse> outcome = new AtomicReference<>();
        List<CompletableFuture<ClaimResult>> answers = new ArrayList<>();
        List<Future<?>> racers = new ArrayList<>();
        for (int i = 0; i < RACERS; i++) {
            CompletableFuture<ClaimResult> answer = new CompletableFuture<>();
            answers.add(answer);
            racers.add(workers.submit(() -> {
                try {
                    start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    ClaimResult result = store().claim(request);
                    if (result instanceof ClaimResult.Acquired acquired) {
                        try (Claim claim = acquired.claim()) {
                            answer.complete(result);
                            if (allAnswered.await(PATIENCE.toSeconds(), TimeUnit.SECONDS) && outcome.get() != null) {
                                claim.complete(outcome.get(), request.expiresAt());
                            }
                        }
                    } else {
                        answer.complete(result);
                    }
                    return null;
                } catch (Throwable t) {
                    answer.completeExceptionally(t);
                    throw t;
                }
            }));
        }
        List<ClaimResult> results = new ArrayList<>();
        try {
            for (CompletableFuture<ClaimResult> answer : answers) {
                results.add(await(answer, PATIENCE, "a racing claim of " + request.key()));
            }
            long winners = results.stream().filter(ClaimResult.Acquired.class::isInstance).count();
            if (winners == 1) {
                outcome.set(completeWith);
            }
        } finally {
            allAnswered.countDown();
            for (Future<?> racer : racers) {
                await(racer, PATIENCE, "a racer finishing its claim of " + request.key());
            }
        }
        return results;
    }

    /** Runs {@code task} on a worker thread and waits at most {@code limit} for it. */
    private <T> T onWorker(Duration limit, String what, Callable<T> task) {
        return await(workers.submit(task), limit, what);
    }

    private static <T> T await(Future<T> future, Duration limit, String what) {
        try {
            return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return fail(what + " did not return within " + limit + "; the store seems to wait", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            return fail(what + " failed", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while waiting for " + what, e);
        }
    }
}
