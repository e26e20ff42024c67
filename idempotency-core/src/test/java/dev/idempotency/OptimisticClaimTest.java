package dev.idempotency;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.RequestOutcome;
import dev.idempotency.event.Stage;
import dev.idempotency.event.StageScope;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.store.InMemoryIdempotencyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The engine with {@link ClaimStrategy#OPTIMISTIC}: the handler runs before anything is claimed, and a key taken by
 * the time the outcome is stored is answered as the usual claim answers it.
 */
class OptimisticClaimTest {

    private static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

    private final InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.create();
    private final MutableClock clock = new MutableClock(START);
    /** The claims the engine asked for, in order: "optimistic" or the mode of a usual claim. */
    private final List<String> claims = new CopyOnWriteArrayList<>();

    /** The in-memory store, recording which kind of claim each request asked for. */
    private final IdempotencyStore store = new IdempotencyStore() {
        @Override
        public ClaimResult claim(ClaimRequest request) {
            claims.add(request.mode().name());
            return memory.claim(request);
        }

        @Override
        public boolean supportsOptimisticClaims() {
            return true;
        }

        @Override
        public Claim claimOptimistically(ClaimRequest request) {
            claims.add("optimistic");
            return memory.claimOptimistically(request);
        }

        @Override
        public int purgeExpired(Instant now, int limit) {
            return memory.purgeExpired(now, limit);
        }
    };

    private Idempotency engine() {
        return engine(IdempotencyConfig.custom());
    }

    private Idempotency engine(IdempotencyConfig.Builder config) {
        return Idempotency.create(store, config.clock(clock).claim(ClaimStrategy.OPTIMISTIC).build());
    }

    private static final class Handler implements RequestHandler {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public HandlerResponse handle(byte[] body) {
            int n = calls.incrementAndGet();
            return HandlerResponse.of(201, List.of(new Header("Content-Type", "application/json")),
                    ("{\"id\":" + n + "}").getBytes(UTF_8));
        }
    }

    @Test
    void newKeyRunsTheHandlerWithoutClaimingFirstAndStoresTheOutcome() throws Exception {
        Handler handler = new Handler();
        Outcome outcome = engine().process(FakeRequest.post(), handler);
        Outcome.Executed executed = assertInstanceOf(Outcome.Executed.class, outcome);
        assertTrue(executed.stored());
        assertEquals(List.of("optimistic"), claims, "no usual claim on a new key");
        assertEquals(1, memory.size());
    }

    @Test
    void retryRunsTheHandlerThenReplaysTheStoredOutcomeInsteadOfItsOwn() throws Exception {
        Handler handler = new Handler();
        Idempotency engine = engine();
        engine.process(FakeRequest.post(), handler);
        claims.clear();

        Outcome retry = engine.process(FakeRequest.post(), handler);

        StoredResponse replayed = assertInstanceOf(Outcome.Replayed.class, retry).response();
        assertEquals("{\"id\":1}", new String(replayed.body(), UTF_8), "the first outcome, not the retry's own");
        assertEquals(2, handler.calls.get(), "the retry's handler ran, and its outcome was not kept");
        assertEquals(List.of("optimistic", "TRANSACTION"), claims, "the taken key is claimed the usual way");
    }

    @Test
    void aTakenKeyIsNotAFailedStageAndTheRequestIsReportedAsTheReplayItIs() throws Exception {
        List<String> failedStages = new CopyOnWriteArrayList<>();
        List<RequestOutcome> outcomes = new CopyOnWriteArrayList<>();
        IdempotencyListener listener = new IdempotencyListener() {
            @Override
            public StageScope onStageStart(Stage stage, ExecutionMode mode) {
                return failure -> {
                    if (failure != null) {
                        failedStages.add(stage + ": " + failure);
                    }
                };
            }

            @Override
            public void onRequest(RequestEvent event) {
                outcomes.add(event.outcome());
            }
        };
        Idempotency engine = Idempotency.create(store, IdempotencyConfig.custom().clock(clock)
                .claim(ClaimStrategy.OPTIMISTIC).build(), listener);
        engine.process(FakeRequest.post(), new Handler());
        engine.process(FakeRequest.post(), new Handler());
        assertEquals(List.of(RequestOutcome.EXECUTED, RequestOutcome.REPLAYED), outcomes);
        assertEquals(List.of(), failedStages);
    }

    @Test
    void sameKeyWithAnotherRequestIs422() throws Exception {
        Idempotency engine = engine();
        engine.process(FakeRequest.post(), new Handler());
        Outcome other = engine.process(FakeRequest.post().body("{\"amount\":99}"), new Handler());
        assertEquals(422, assertInstanceOf(Outcome.Rejected.class, other).problem().status());
    }

    @Test
    void keyHeldByAUsualClaimIs409WhenTheOptimisticRequestComesToStore() throws Exception {
        ClaimRequest usual = new ClaimRequest(new RecordKey("client-a", IdempotencyKey.of("key-1")),
                RequestFingerprint.of(RequestFingerprint.CURRENT_VERSION, "POST", "/orders", null, "application/json",
                        null, "{\"amount\":10}".getBytes(UTF_8)), START, START.plus(Duration.ofHours(1)));
        try (Claim held = assertInstanceOf(ClaimResult.Acquired.class, memory.claim(usual)).claim()) {
            Outcome outcome = engine().process(FakeRequest.post(), new Handler());
            assertEquals(409, assertInstanceOf(Outcome.Rejected.class, outcome).problem().status());
            assertEquals(List.of("optimistic", "TRANSACTION"), claims);
        }
    }

    @Test
    void handlerFailureStoresNothingAndTheRetryRuns() throws Exception {
        Idempotency engine = engine();
        assertThrows(IllegalStateException.class, () -> engine.process(FakeRequest.post(), body -> {
            throw new IllegalStateException("handler failed");
        }));
        assertEquals(0, memory.size());
        Handler handler = new Handler();
        assertInstanceOf(Outcome.Executed.class, engine.process(FakeRequest.post(), handler));
        assertEquals(1, handler.calls.get());
    }

    @Test
    void expiredRecordIsTakenOverByAUsualClaimAndTheHandlerRunsAgain() throws Exception {
        Idempotency engine = engine(IdempotencyConfig.custom().keyTtl(Duration.ofHours(1)));
        Handler handler = new Handler();
        engine.process(FakeRequest.post(), handler);
        clock.advance(Duration.ofHours(2));
        claims.clear();

        Outcome again = engine.process(FakeRequest.post(), handler);

        Outcome.Executed executed = assertInstanceOf(Outcome.Executed.class, again);
        assertEquals("{\"id\":3}", new String(executed.response().body(), UTF_8),
                "the optimistic run was not kept; the run under the usual claim was");
        assertEquals(List.of("optimistic", "TRANSACTION"), claims);
    }

    @Test
    void leasePathsClaimWithALeaseAsUsual() throws Exception {
        Idempotency engine = engine(IdempotencyConfig.custom().leasePaths("/payments"));
        engine.process(FakeRequest.post().path("/payments"), new Handler());
        assertEquals(List.of("LEASE"), claims);
    }

    @Test
    void storeWithoutOptimisticClaimsIsRefusedAtCreationNamingTheProperty() {
        IdempotencyConfig config = IdempotencyConfig.custom().claim(ClaimStrategy.OPTIMISTIC).build();
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> Idempotency.create(new IdempotencyStore() {
                    @Override
                    public ClaimResult claim(ClaimRequest request) {
                        throw new AssertionError();
                    }

                    @Override
                    public int purgeExpired(Instant now, int limit) {
                        return 0;
                    }
                }, config));
        assertEquals("idempotency.claim", e.setting());
        assertTrue(e.getMessage().contains("does not take optimistic claims"), e.getMessage());
    }

    @Test
    void optimisticClaimWithLeaseModeForEveryRequestIsRefused() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyConfig.custom().mode(ExecutionMode.LEASE).claim(ClaimStrategy.OPTIMISTIC).build());
        assertEquals("claim", e.setting());
        assertTrue(e.getMessage().contains("mode is lease"), e.getMessage());
    }

    @Test
    void claimPropertyIsReadAndABadValueNamed() {
        assertEquals(ClaimStrategy.OPTIMISTIC,
                IdempotencyProperties.parse(java.util.Map.of("idempotency.claim", " Optimistic ")).claim());
        assertEquals(ClaimStrategy.PESSIMISTIC, IdempotencyConfig.ofDefaults().claim());
        IdempotencyConfigException bad = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyProperties.parse(java.util.Map.of("idempotency.claim", "eager")));
        assertEquals("idempotency.claim", bad.setting());
        IdempotencyConfigException withLease = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyProperties.parse(java.util.Map.of("idempotency.claim", "optimistic",
                        "idempotency.mode", "lease")));
        assertEquals("idempotency.claim", withLease.setting());
        assertTrue(withLease.getMessage().contains("idempotency.mode is lease"), withLease.getMessage());
    }
}
