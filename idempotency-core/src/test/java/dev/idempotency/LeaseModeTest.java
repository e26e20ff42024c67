package dev.idempotency;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.LeaseLostException;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.store.InMemoryIdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lease mode through the protocol engine, with the in-memory store and a clock the test moves. */
class LeaseModeTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create(clock);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    private Idempotency engine(IdempotencyConfig.Builder config) {
        return Idempotency.create(store, config.clock(clock).purgeInterval(Duration.ZERO).build());
    }

    private static IdempotencyConfig.Builder lease() {
        return IdempotencyConfig.custom().mode(ExecutionMode.LEASE).leaseDuration(Duration.ofSeconds(30));
    }

    private static HandlerResponse created(String body) {
        return HandlerResponse.of(201, List.of(new Header("Content-Type", "application/json")), body.getBytes(UTF_8));
    }

    @Test
    void handlerSeesItsContextAndTheDerivedKeyIsStableAcrossRetries() throws Exception {
        Idempotency idempotency = engine(lease().storedStatuses(StoredStatuses.parse("2xx")));
        List<IdempotencyContext> seen = new ArrayList<>();
        RequestHandler handler = body -> {
            seen.add(IdempotencyContext.current().orElseThrow());
            return HandlerResponse.of(503, List.of(), new byte[0]);
        };
        idempotency.process(FakeRequest.post(), handler);
        idempotency.process(FakeRequest.post(), handler);

        assertEquals(2, seen.size(), "a 503 is not stored, so the retry ran again");
        assertEquals(ExecutionMode.LEASE, seen.get(0).mode());
        assertEquals(seen.get(0).derivedKey("charge"), seen.get(1).derivedKey("charge"));
        assertNotEquals(seen.get(0).derivedKey("charge"), seen.get(0).derivedKey("refund"));
        assertEquals(43, seen.get(0).derivedKey("charge").length());
        assertTrue(IdempotencyContext.current().isEmpty(), "the context is gone once the handler returned");
    }

    @Test
    void derivedKeysDifferBetweenClients() throws Exception {
        Idempotency idempotency = engine(lease());
        List<String> keys = new ArrayList<>();
        RequestHandler handler = body -> {
            keys.add(IdempotencyContext.current().orElseThrow().derivedKey("charge"));
            return created("{}");
        };
        idempotency.process(FakeRequest.post().scope("client-a"), handler);
        idempotency.process(FakeRequest.post().scope("client-b"), handler);
        assertNotEquals(keys.get(0), keys.get(1));
    }

    @Test
    void concurrentRequestDuringTheLeaseGets409WithTheLeaseAsRetryAfter() throws Exception {
        Idempotency idempotency = engine(lease());
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Outcome> first = threads.submit(() -> idempotency.process(FakeRequest.post(), body -> {
            inHandler.countDown();
            release.await(10, TimeUnit.SECONDS);
            return created("{\"n\":1}");
        }));
        assertTrue(inHandler.await(10, TimeUnit.SECONDS));
        clock.advance(Duration.ofSeconds(10));

        Outcome second = idempotency.process(FakeRequest.post(), body -> created("{\"n\":2}"));
        Problem problem = assertInstanceOf(Outcome.Rejected.class, second).problem();
        assertEquals(409, problem.status());
        assertEquals("20", problem.retryAfterHeader().orElseThrow(), "the rest of the 30 s lease");

        release.countDown();
        assertInstanceOf(Outcome.Executed.class, first.get(10, TimeUnit.SECONDS));
        assertInstanceOf(Outcome.Replayed.class, idempotency.process(FakeRequest.post(), body -> created("{}")));
    }

    @Test
    void differentRequestWhileTheKeyIsLeasedIsKeyReuse() throws Exception {
        Idempotency idempotency = engine(lease());
        RecordKey key = new RecordKey("client-a", IdempotencyKey.of("k-1"));
        RequestFingerprint other = RequestFingerprint.of("POST", "/elsewhere", null, null, new byte[0]);
        try (Claim held = acquire(ClaimRequest.lease(key, other, clock.instant(), clock.instant().plusSeconds(3600),
                Duration.ofSeconds(30)))) {
            Problem problem = assertInstanceOf(Outcome.Rejected.class,
                    idempotency.process(FakeRequest.post().scope("client-a").key("k-1"), body -> created("{}"))).problem();
            assertEquals(422, problem.status());
        }
    }

    @Test
    void afterACrashTheLeaseExpiresAndARetryTakesOverWithAHigherFencingToken() throws Exception {
        Idempotency idempotency = engine(lease());
        FakeRequest template = FakeRequest.post().scope("client-a").key("k-1");
        RequestFingerprint fingerprint = RequestFingerprint.of(template.method(), template.path(), null,
                template.contentType(), template.readBody(1 << 20));
        // A request that claimed the key and then died: its claim is never completed nor abandoned.
        Claim crashed = acquire(ClaimRequest.lease(new RecordKey("client-a", IdempotencyKey.of("k-1")), fingerprint,
                clock.instant(), clock.instant().plusSeconds(3600), Duration.ofSeconds(30)));

        assertEquals(409, assertInstanceOf(Outcome.Rejected.class,
                idempotency.process(FakeRequest.post().scope("client-a").key("k-1"), body -> created("{}")))
                .problem().status(), "still leased");

        clock.advance(Duration.ofSeconds(31));
        AtomicInteger tokens = new AtomicInteger();
        Outcome retry = idempotency.process(FakeRequest.post().scope("client-a").key("k-1"), body -> {
            tokens.set((int) IdempotencyContext.current().orElseThrow().fencingToken());
            return created("{\"retry\":true}");
        });
        assertInstanceOf(Outcome.Executed.class, retry);
        assertTrue(tokens.get() > crashed.fencingToken(), "the takeover has a higher fencing token");

        LeaseLostException lost = assertThrows(LeaseLostException.class,
                () -> crashed.complete(StoredResponse.of(201, List.of(), "{\"late\":true}".getBytes(UTF_8)),
                        clock.instant().plusSeconds(3600)));
        assertTrue(lost.getMessage().contains("k-1"), lost.getMessage());
        StoredResponse replayed = assertInstanceOf(Outcome.Replayed.class,
                idempotency.process(FakeRequest.post().scope("client-a").key("k-1"), body -> created("{}"))).response();
        assertEquals("{\"retry\":true}", new String(replayed.body(), UTF_8), "the late outcome never overwrote it");
    }

    @Test
    void requestThatLostItsLeaseIsAnswered409LeaseLost() throws Exception {
        Idempotency idempotency = engine(lease());
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Outcome> slow = threads.submit(() -> idempotency.process(FakeRequest.post(), body -> {
            inHandler.countDown();
            release.await(10, TimeUnit.SECONDS);
            return created("{\"slow\":true}");
        }));
        assertTrue(inHandler.await(10, TimeUnit.SECONDS));
        // The renewal runs every 10 s of real time; the test's clock jumps past the lease at once.
        clock.advance(Duration.ofSeconds(31));
        Outcome takeover = idempotency.process(FakeRequest.post(), body -> created("{\"takeover\":true}"));
        assertInstanceOf(Outcome.Executed.class, takeover);

        release.countDown();
        Problem problem = assertInstanceOf(Outcome.Rejected.class, slow.get(10, TimeUnit.SECONDS)).problem();
        assertEquals(409, problem.status());
        assertTrue(problem.type().endsWith("lease-lost"), problem.type());
    }

    @Test
    void leaseIsRenewedWhileTheHandlerRuns() throws Exception {
        // When the latest renewal began, by the store's clock: the lease it granted lasts at least 3 s from then.
        AtomicReference<Instant> renewedFrom = new AtomicReference<>(Instant.MIN);
        IdempotencyStore countingRenewals = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                ClaimResult result = store.claim(request);
                if (!(result instanceof ClaimResult.Acquired acquired)) {
                    return result;
                }
                Claim real = acquired.claim();
                return new ClaimResult.Acquired(new Claim() {
                    @Override
                    public <T> T execute(Work<T> work) throws Exception {
                        return real.execute(work);
                    }

                    @Override
                    public boolean renew() {
                        Instant from = clock.instant();
                        boolean renewed = real.renew();
                        if (renewed) {
                            renewedFrom.accumulateAndGet(from, (a, b) -> a.isAfter(b) ? a : b);
                        }
                        return renewed;
                    }

                    @Override
                    public long fencingToken() {
                        return real.fencingToken();
                    }

                    @Override
                    public void complete(StoredResponse response, Instant expiresAt) {
                        real.complete(response, expiresAt);
                    }

                    @Override
                    public void abandon() {
                        real.abandon();
                    }

                    @Override
                    public void close() {
                        real.close();
                    }
                });
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                return 0;
            }
        };
        Idempotency idempotency = Idempotency.create(countingRenewals, IdempotencyConfig.custom()
                .mode(ExecutionMode.LEASE).leaseDuration(Duration.ofSeconds(3)).clock(clock)
                .purgeInterval(Duration.ZERO).build());
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Outcome> first = threads.submit(() -> idempotency.process(FakeRequest.post(), body -> {
            inHandler.countDown();
            release.await(30, TimeUnit.SECONDS);
            return created("{}");
        }));
        assertTrue(inHandler.await(10, TimeUnit.SECONDS));
        // Each round waits for a renewal that began at the store's current time (they run every third of the
        // lease, in real time), then moves the store's clock 2 s on: 8 s in all, far past the 3 s lease, which
        // only the renewals can have kept alive. Waiting for the renewal, rather than for a second of real
        // time, keeps a slow machine from failing the test.
        for (int i = 0; i < 4; i++) {
            Instant now = clock.instant();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (renewedFrom.get().isBefore(now) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(!renewedFrom.get().isBefore(now), "renewal " + (i + 1) + " while the handler runs");
            clock.advance(Duration.ofSeconds(2));
            Outcome probe = idempotency.process(FakeRequest.post(), body -> created("{\"probe\":true}"));
            assertEquals(409, assertInstanceOf(Outcome.Rejected.class, probe).problem().status(),
                    "still leased " + 2 * (i + 1) + " s on");
        }
        release.countDown();
        assertInstanceOf(Outcome.Executed.class, first.get(10, TimeUnit.SECONDS));
    }

    @Test
    void leaseOutcomeThatCannotBeStoredIsA503ThatSaysTheRequestRan() throws Exception {
        IdempotencyStore failingOutcome = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                ClaimResult result = store.claim(request);
                if (!(result instanceof ClaimResult.Acquired acquired)) {
                    return result;
                }
                Claim real = acquired.claim();
                return new ClaimResult.Acquired(new Claim() {
                    @Override
                    public <T> T execute(Work<T> work) throws Exception {
                        return real.execute(work);
                    }

                    @Override
                    public void complete(StoredResponse response, Instant expiresAt) {
                        real.abandon();
                        throw new StoreUnavailableException("the database went away", null);
                    }

                    @Override
                    public void abandon() {
                        real.abandon();
                    }

                    @Override
                    public void close() {
                        real.close();
                    }
                });
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                return 0;
            }
        };
        Idempotency idempotency = Idempotency.create(failingOutcome, lease().clock(clock)
                .purgeInterval(Duration.ZERO).build());
        Problem problem = assertInstanceOf(Outcome.Rejected.class,
                idempotency.process(FakeRequest.post(), body -> created("{}"))).problem();
        assertEquals(503, problem.status());
        assertTrue(problem.type().endsWith("outcome-not-stored"), problem.type());
        assertTrue(problem.detail().contains("ran"), problem.detail());
        assertEquals("30", problem.retryAfterHeader().orElseThrow(), "the key may stay leased for a lease");
    }

    @Test
    void leasePathsRunInLeaseModeAndOthersInTransactionMode() throws Exception {
        Idempotency idempotency = engine(IdempotencyConfig.custom().leasePaths("/payments/*"));
        List<ExecutionMode> modes = new ArrayList<>();
        RequestHandler handler = body -> {
            modes.add(IdempotencyContext.current().orElseThrow().mode());
            return created("{}");
        };
        idempotency.process(FakeRequest.post().path("/payments/42").key("a"), handler);
        idempotency.process(FakeRequest.post().path("/payments").key("b"), handler);
        idempotency.process(FakeRequest.post().path("/paymentsX").key("c"), handler);
        idempotency.process(FakeRequest.post().path("/orders").key("d"), handler);
        assertEquals(List.of(ExecutionMode.LEASE, ExecutionMode.LEASE, ExecutionMode.TRANSACTION,
                ExecutionMode.TRANSACTION), modes);
    }

    private Claim acquire(ClaimRequest request) {
        return assertInstanceOf(ClaimResult.Acquired.class, store.claim(request)).claim();
    }
}
