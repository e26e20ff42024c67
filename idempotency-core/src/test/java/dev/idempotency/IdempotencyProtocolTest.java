package dev.idempotency;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.spi.StoredRecord;
import dev.idempotency.store.InMemoryIdempotencyStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The protocol engine, one test per row of its decision table. */
class IdempotencyProtocolTest {

    private static final Instant START = Instant.parse("2025-01-01T00:00:00Z");

    private final InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.create();
    private final MutableClock clock = new MutableClock(START);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS), "a test thread did not finish");
    }

    private IdempotencyConfig.Builder config() {
        return IdempotencyConfig.custom().clock(clock);
    }

    private Idempotency engine() {
        return Idempotency.create(memory, config().build());
    }

    private Idempotency engine(IdempotencyConfig.Builder config) {
        return Idempotency.create(memory, config.build());
    }

    // --- fakes ----------------------------------------------------------------------------------

    /** Counts its calls, remembers the bodies it was given, answers with a configurable response. */
    private static final class CountingHandler implements RequestHandler {
        private final AtomicInteger calls = new AtomicInteger();
        private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
        private final Function<Integer, HandlerResponse> responses;

        CountingHandler(Function<Integer, HandlerResponse> responses) {
            this.responses = responses;
        }

        /** 201 with a JSON body naming the call number. */
        static CountingHandler created() {
            return new CountingHandler(n -> json(201, "{\"id\":" + n + "}"));
        }

        static CountingHandler status(int status) {
            return new CountingHandler(n -> json(status, "{\"call\":" + n + "}"));
        }

        @Override
        public HandlerResponse handle(byte[] body) {
            bodies.add(body);
            return responses.apply(calls.incrementAndGet());
        }

        int calls() {
            return calls.get();
        }
    }

    private static HandlerResponse json(int status, String body) {
        return HandlerResponse.of(status, List.of(new Header("Content-Type", "application/json")), body.getBytes(UTF_8));
    }

    private static final RequestHandler MUST_NOT_RUN = body -> {
        throw new AssertionError("the handler must not run");
    };

    /** Delegates to the in-memory store; hooks let a test fail or observe single operations. */
    private class HookedStore implements IdempotencyStore {
        volatile RuntimeException failClaimWith;
        volatile RuntimeException failCompleteWith;
        final List<ClaimRequest> claims = new CopyOnWriteArrayList<>();
        final CountDownLatch busySeen = new CountDownLatch(1);
        private final Set<Thread> busyThreads = new HashSet<>();

        @Override
        public ClaimResult claim(ClaimRequest request) {
            claims.add(request);
            if (failClaimWith != null) {
                throw failClaimWith;
            }
            ClaimResult result = memory.claim(request);
            if (result instanceof ClaimResult.Busy) {
                busySeen.countDown();
                synchronized (busyThreads) {
                    busyThreads.add(Thread.currentThread());
                    busyThreads.notifyAll();
                }
            }
            if (result instanceof ClaimResult.Acquired acquired && failCompleteWith != null) {
                return new ClaimResult.Acquired(new FailingCompleteClaim(acquired.claim(), failCompleteWith));
            }
            return result;
        }

        @Override
        public int purgeExpired(Instant now, int limit) {
            return memory.purgeExpired(now, limit);
        }

        /** Waits until {@code count} threads (each one request) have found a key busy. */
        void awaitBusyThreads(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            synchronized (busyThreads) {
                while (busyThreads.size() < count) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new AssertionError("only " + busyThreads.size() + " of " + count
                                + " requests found the key busy");
                    }
                    busyThreads.wait(left);
                }
            }
        }
    }

    /**
     * Pauses a waiting request on the test's clock: records each pause and moves {@link #clock} by it at once,
     * then runs {@code onPause} with the pause's number (from 1). Nothing sleeps in real time.
     */
    private final class ClockSleeper implements Idempotency.Sleeper {
        final List<Long> pauses = new CopyOnWriteArrayList<>();
        private final IntConsumer onPause;

        ClockSleeper() {
            this(n -> { });
        }

        ClockSleeper(IntConsumer onPause) {
            this.onPause = onPause;
        }

        @Override
        public void sleep(long millis) {
            pauses.add(millis);
            clock.advance(Duration.ofMillis(millis));
            onPause.accept(pauses.size());
        }
    }

    /** A claim whose {@code complete} fails as a store would, storing nothing. */
    private static final class FailingCompleteClaim implements Claim {
        private final Claim delegate;
        private final RuntimeException failure;

        FailingCompleteClaim(Claim delegate, RuntimeException failure) {
            this.delegate = delegate;
            this.failure = failure;
        }

        @Override
        public <T> T execute(Work<T> work) throws Exception {
            return delegate.execute(work);
        }

        @Override
        public void complete(StoredResponse response, Instant expiresAt) {
            throw failure;
        }

        @Override
        public void abandon() {
            delegate.abandon();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private static Problem rejected(Outcome outcome, int status, String code) {
        Outcome.Rejected rejected = assertInstanceOf(Outcome.Rejected.class, outcome, () -> "outcome " + outcome);
        assertEquals(status, rejected.problem().status(), rejected.problem().toString());
        assertEquals("urn:idempotency:problem:" + code, rejected.problem().type());
        return rejected.problem();
    }

    private static HandlerResponse executed(Outcome outcome, boolean stored) {
        Outcome.Executed executed = assertInstanceOf(Outcome.Executed.class, outcome, () -> "outcome " + outcome);
        assertEquals(stored, executed.stored(), "stored");
        return executed.response();
    }

    private static StoredResponse replayed(Outcome outcome) {
        return assertInstanceOf(Outcome.Replayed.class, outcome, () -> "outcome " + outcome).response();
    }

    // --- requests the protocol does not run ------------------------------------------------------

    @Test
    void methodNotCoveredPassesThroughWithoutRunningHandlerOrReadingBody() throws Exception {
        for (String method : List.of("GET", "PUT", "DELETE", "HEAD", "OPTIONS")) {
            FakeRequest request = FakeRequest.post().method(method);

            Outcome outcome = engine().process(request, MUST_NOT_RUN);

            assertInstanceOf(Outcome.PassThrough.class, outcome, method);
            assertEquals(0, request.calls("readBody"), method);
            assertEquals(0, request.calls("idempotencyKeyHeaders"), method);
        }
        assertEquals(0, memory.size());
    }

    @Test
    void configuredMethodIsCovered() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Outcome outcome = engine(config().methods("PUT")).process(FakeRequest.post().method("PUT"), handler);
        executed(outcome, true);
        assertInstanceOf(Outcome.PassThrough.class,
                engine(config().methods("PUT")).process(FakeRequest.post(), MUST_NOT_RUN));
    }

    @Test
    void missingKeyIsRejectedWhenRequired() throws Exception {
        FakeRequest request = FakeRequest.post().method("PATCH").keys();

        Problem problem = rejected(engine().process(request, MUST_NOT_RUN), 400, "missing-key");

        assertTrue(problem.detail().contains("PATCH"), problem.detail());
        assertEquals(0, request.calls("readBody"));
        assertEquals(0, memory.size());
    }

    @Test
    void missingKeyPassesThroughWhenKeysAreOptional() throws Exception {
        FakeRequest request = FakeRequest.post().keys();

        Outcome outcome = engine(config().required(false)).process(request, MUST_NOT_RUN);

        assertInstanceOf(Outcome.PassThrough.class, outcome);
        assertEquals(0, request.calls("readBody"));
    }

    @Test
    void optionalKeysStillApplyTheProtocolWhenAKeyIsSent() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine(config().required(false));

        executed(idempotency.process(FakeRequest.post(), handler), true);
        replayed(idempotency.process(FakeRequest.post(), handler));
        assertEquals(1, handler.calls());
    }

    @Test
    void twoKeyHeadersAreRejected() throws Exception {
        FakeRequest request = FakeRequest.post().keys("\"a\"", "\"b\"");

        Problem problem = rejected(engine().process(request, MUST_NOT_RUN), 400, "multiple-keys");

        assertTrue(problem.detail().contains("2"), problem.detail());
        assertEquals(0, request.calls("readBody"));
    }

    @Test
    void twoIdenticalKeyHeadersAreStillRejected() throws Exception {
        rejected(engine().process(FakeRequest.post().keys("a", "a"), MUST_NOT_RUN), 400, "multiple-keys");
    }

    @Test
    void invalidKeyIsRejectedWithTheReason() throws Exception {
        FakeRequest request = FakeRequest.post().key("has space");

        Problem problem = rejected(engine().process(request, MUST_NOT_RUN), 400, "invalid-key");

        assertTrue(problem.detail().contains("a space"), problem.detail());
        assertEquals(0, request.calls("readBody"));
        assertEquals(0, memory.size());
    }

    @Test
    void invalidKeyProblemDoesNotEchoControlCharacters() throws Exception {
        Problem problem = rejected(engine().process(FakeRequest.post().key("ab\u0000\u001b[31m"), MUST_NOT_RUN),
                400, "invalid-key");
        String json = new String(problem.toJson("/orders"), UTF_8);
        assertFalse(problem.detail().chars().anyMatch(c -> c < 0x20 || c == 0x7F), problem.detail());
        assertFalse(json.contains("[31m"), json);
    }

    @Test
    void tooLongKeyIsRejected() throws Exception {
        Problem problem = rejected(engine().process(FakeRequest.post().key("k".repeat(256)), MUST_NOT_RUN),
                400, "invalid-key");
        assertTrue(problem.detail().contains("255"), problem.detail());
    }

    @Test
    void missingScopeIsRejected() throws Exception {
        FakeRequest request = FakeRequest.post().scope(null).scopeSource("the authenticated principal");

        Problem problem = rejected(engine().process(request, MUST_NOT_RUN), 400, "scope-unresolved");

        assertTrue(problem.detail().contains("the authenticated principal"), problem.detail());
        assertEquals(0, request.calls("readBody"));
        assertEquals(0, memory.size());
    }

    @Test
    void emptyScopeIsRejectedLikeAMissingOne() throws Exception {
        rejected(engine().process(FakeRequest.post().scope(""), MUST_NOT_RUN), 400, "scope-unresolved");
    }

    @Test
    void bodyOverTheLimitIsRejectedWith413() throws Exception {
        FakeRequest request = FakeRequest.post().body("{\"data\":\"" + "x".repeat(100) + "\"}");

        Problem problem = rejected(engine(config().maxRequestBytes(64)).process(request, MUST_NOT_RUN),
                413, "body-too-large");

        assertEquals(64, request.lastMaxBytes(), "the engine passes its limit to the adapter");
        assertTrue(problem.detail().contains("64"), problem.detail());
        assertEquals(0, memory.size());
    }

    @Test
    void bodyAtTheLimitIsAccepted() throws Exception {
        FakeRequest request = FakeRequest.post().contentType("text/plain").body("x".repeat(64));
        executed(engine(config().maxRequestBytes(64)).process(request, CountingHandler.created()), true);
    }

    @Test
    void bodyReadFailurePropagatesAndClaimsNothing() {
        IOException failure = new IOException("connection reset");
        FakeRequest request = FakeRequest.post().failBodyWith(failure);

        IOException thrown = assertThrows(IOException.class, () -> engine().process(request, MUST_NOT_RUN));

        assertSame(failure, thrown);
        assertEquals(0, memory.size());
    }

    @Test
    void malformedJsonBodyIsRejected() throws Exception {
        FakeRequest request = FakeRequest.post().body("{\"amount\": 10");

        Problem problem = rejected(engine().process(request, MUST_NOT_RUN), 400, "malformed-body");

        assertTrue(problem.detail().contains("JSON"), problem.detail());
        assertEquals(0, memory.size());
    }

    @Test
    void deeplyNestedJsonBodyIsRejectedAsMalformed() throws Exception {
        FakeRequest request = FakeRequest.post().body("[".repeat(3000) + "]".repeat(3000));
        rejected(engine().process(request, MUST_NOT_RUN), 400, "malformed-body");
    }

    @Test
    void emptyBodyWithJsonContentTypeRuns() throws Exception {
        CountingHandler handler = CountingHandler.created();
        executed(engine().process(FakeRequest.post().body(""), handler), true);
        assertEquals(1, handler.calls());
    }

    // --- first request, retries, mismatches --------------------------------------------------------

    @Test
    void firstRequestRunsTheHandlerOnceAndStoresItsOutcome() throws Exception {
        CountingHandler handler = CountingHandler.created();
        FakeRequest request = FakeRequest.post().body("{\"amount\":10}");

        HandlerResponse response = executed(engine().process(request, handler), true);

        assertEquals(1, handler.calls());
        assertArrayEquals("{\"amount\":10}".getBytes(UTF_8), handler.bodies.get(0), "the handler gets the body");
        assertEquals(201, response.status());
        assertArrayEquals("{\"id\":1}".getBytes(UTF_8), response.body());
        assertEquals(1, memory.size());
        assertTrue(request.maxCallsOfAnyMethod() <= 1, "each IncomingRequest method is called at most once");
    }

    @Test
    void retryOfTheSameRequestIsReplayedWithoutRunningTheHandler() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        HandlerResponse first = executed(idempotency.process(FakeRequest.post(), handler), true);

        FakeRequest retry = FakeRequest.post();
        StoredResponse replay = replayed(idempotency.process(retry, handler));

        assertEquals(1, handler.calls(), "the handler must not run again");
        assertEquals(first.status(), replay.status());
        assertArrayEquals(first.body(), replay.body());
        assertEquals(first.headers(), replay.headers());
        assertTrue(retry.maxCallsOfAnyMethod() <= 1, "each IncomingRequest method is called at most once");
    }

    @Test
    void everyLaterRetryGetsTheSameReplay() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        idempotency.process(FakeRequest.post(), handler);

        StoredResponse second = replayed(idempotency.process(FakeRequest.post(), handler));
        StoredResponse third = replayed(idempotency.process(FakeRequest.post(), handler));

        assertEquals(second, third);
        assertEquals(1, handler.calls());
    }

    @Test
    void quotedAndBareFormsOfAKeyShareOneRecord() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        executed(idempotency.process(FakeRequest.post().key("\"abc-123\""), handler), true);

        replayed(idempotency.process(FakeRequest.post().key("  abc-123 "), handler));

        assertEquals(1, handler.calls());
    }

    @Test
    void retryWithReorderedJsonIsTheSameRequest() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        idempotency.process(FakeRequest.post().body("{\"a\":1,\"b\":[1,2]}"), handler);

        replayed(idempotency.process(FakeRequest.post().body("{ \"b\": [1, 2], \"a\": 1 }"), handler));

        assertEquals(1, handler.calls());
    }

    @Test
    void replayKeepsOnlyHeadersThatAreSafeToReplay() throws Exception {
        List<Header> headers = List.of(
                new Header("Content-Type", "application/json"),
                new Header("Set-Cookie", "session=secret"),
                new Header("Location", "/orders/1"),
                new Header("Authorization", "Bearer secret"),
                new Header("WWW-Authenticate", "Bearer"),
                new Header("Proxy-Authenticate", "Basic"),
                new Header("Content-Length", "8"),
                new Header("X-Internal-Debug", "node-7"),
                new Header("set-cookie", "other=secret"));
        RequestHandler handler = body -> HandlerResponse.of(201, headers, "{\"id\":1}".getBytes(UTF_8));
        Idempotency idempotency = engine();

        HandlerResponse first = executed(idempotency.process(FakeRequest.post(), handler), true);
        StoredResponse replay = replayed(idempotency.process(FakeRequest.post(), MUST_NOT_RUN));

        assertEquals(headers, first.headers(), "the first response is sent in full");
        assertEquals(List.of(new Header("Content-Type", "application/json"), new Header("Location", "/orders/1")),
                replay.headers());
        assertNull(replay.header("Set-Cookie"));
        assertNull(replay.header("Authorization"));
        assertEquals("/orders/1", replay.header("location"));
    }

    @Test
    void configuredExtraHeaderIsReplayed() throws Exception {
        RequestHandler handler = body -> HandlerResponse.of(201,
                List.of(new Header("x-request-id", "r-1"), new Header("X-Other", "no")), new byte[0]);
        Idempotency idempotency = engine(config().replayedHeaders("X-Request-Id"));

        idempotency.process(FakeRequest.post(), handler);
        StoredResponse replay = replayed(idempotency.process(FakeRequest.post(), MUST_NOT_RUN));

        assertEquals(List.of(new Header("x-request-id", "r-1")), replay.headers());
    }

    @Test
    void sameKeyWithDifferentBodyIsRejectedWithoutRunningTheHandler() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        idempotency.process(FakeRequest.post().body("{\"amount\":10}"), handler);

        Problem problem = rejected(idempotency.process(FakeRequest.post().body("{\"amount\":11}"), handler),
                422, "key-reused");

        assertEquals(1, handler.calls());
        assertTrue(problem.retryAfter().isEmpty());
    }

    @Test
    void sameKeyWithDifferentPathQueryOrMethodIsRejected() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        idempotency.process(FakeRequest.post(), handler);

        rejected(idempotency.process(FakeRequest.post().path("/payments"), handler), 422, "key-reused");
        rejected(idempotency.process(FakeRequest.post().query("dryRun=true"), handler), 422, "key-reused");
        rejected(idempotency.process(FakeRequest.post().method("PATCH"), handler), 422, "key-reused");
        assertEquals(1, handler.calls());
    }

    @Test
    void keyReuseDoesNotDisturbTheStoredOutcome() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        HandlerResponse first = executed(idempotency.process(FakeRequest.post(), handler), true);
        rejected(idempotency.process(FakeRequest.post().body("{\"amount\":99}"), handler), 422, "key-reused");

        assertArrayEquals(first.body(), replayed(idempotency.process(FakeRequest.post(), handler)).body());
    }

    @Test
    void sameKeyInAnotherScopeRunsIndependently() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();

        HandlerResponse a = executed(idempotency.process(FakeRequest.post().scope("client-a"), handler), true);
        HandlerResponse b = executed(idempotency.process(FakeRequest.post().scope("client-b")
                .body("{\"amount\":99}"), handler), true);

        assertEquals(2, handler.calls());
        assertArrayEquals(a.body(), replayed(idempotency.process(FakeRequest.post().scope("client-a"), handler)).body());
        assertArrayEquals(b.body(), replayed(idempotency.process(FakeRequest.post().scope("client-b")
                .body("{\"amount\":99}"), handler)).body());
        assertEquals(2, handler.calls());
    }

    @Test
    void differentKeysRunIndependently() throws Exception {
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();
        executed(idempotency.process(FakeRequest.post().key("k1"), handler), true);
        executed(idempotency.process(FakeRequest.post().key("k2"), handler), true);
        assertEquals(2, handler.calls());
    }

    @Test
    void scopesLongerThan512CharactersAreAcceptedAndStayDistinct() throws Exception {
        String longA = "a".repeat(600) + "-1";
        String longB = "a".repeat(600) + "-2";
        CountingHandler handler = CountingHandler.created();
        Idempotency idempotency = engine();

        HandlerResponse a = executed(idempotency.process(FakeRequest.post().scope(longA), handler), true);
        HandlerResponse b = executed(idempotency.process(FakeRequest.post().scope(longB), handler), true);
        StoredResponse replayA = replayed(idempotency.process(FakeRequest.post().scope(longA), handler));
        StoredResponse replayB = replayed(idempotency.process(FakeRequest.post().scope(longB), handler));

        assertEquals(2, handler.calls());
        assertArrayEquals(a.body(), replayA.body());
        assertArrayEquals(b.body(), replayB.body());
    }

    @Test
    void longScopesAreHashedAndShortOnesKeptVerbatim() throws Exception {
        HookedStore store = new HookedStore();
        Idempotency idempotency = Idempotency.create(store, config().build());
        String exactly512 = "s".repeat(512);
        String over512 = "s".repeat(513);

        idempotency.process(FakeRequest.post().scope(exactly512), CountingHandler.created());
        idempotency.process(FakeRequest.post().scope(over512), CountingHandler.created());

        assertEquals(exactly512, store.claims.get(0).key().scope());
        String hashed = store.claims.get(1).key().scope();
        assertTrue(hashed.matches("sha256:[0-9a-f]{64}"), hashed);
    }

    // --- outcomes that are not stored -----------------------------------------------------------------

    @Test
    void serverErrorIsSentButNotStoredSoARetryRunsAgain() throws Exception {
        CountingHandler handler = CountingHandler.status(500);
        Idempotency idempotency = engine();

        HandlerResponse first = executed(idempotency.process(FakeRequest.post(), handler), false);
        assertEquals(500, first.status());
        assertEquals(0, memory.size(), "the key is freed");

        executed(idempotency.process(FakeRequest.post(), handler), false);
        assertEquals(2, handler.calls());
    }

    @Test
    void retryAfterAServerErrorCanSucceedAndIsThenStored() throws Exception {
        CountingHandler handler = new CountingHandler(n -> n == 1 ? json(503, "{}") : json(201, "{\"ok\":true}"));
        Idempotency idempotency = engine();

        executed(idempotency.process(FakeRequest.post(), handler), false);
        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(201, replayed(idempotency.process(FakeRequest.post(), handler)).status());
        assertEquals(2, handler.calls());
    }

    @Test
    void tooManyRequestsIsNotStored() throws Exception {
        CountingHandler handler = CountingHandler.status(429);
        Idempotency idempotency = engine();

        executed(idempotency.process(FakeRequest.post(), handler), false);
        executed(idempotency.process(FakeRequest.post(), handler), false);
        assertEquals(2, handler.calls());
    }

    @Test
    void requestTimeoutIsNotStored() throws Exception {
        CountingHandler handler = CountingHandler.status(408);
        executed(engine().process(FakeRequest.post(), handler), false);
        assertEquals(0, memory.size());
    }

    @Test
    void clientErrorIsStoredAndReplayed() throws Exception {
        CountingHandler handler = CountingHandler.status(404);
        Idempotency idempotency = engine();

        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(404, replayed(idempotency.process(FakeRequest.post(), handler)).status());
        assertEquals(1, handler.calls());
    }

    @Test
    void configuredStoredStatusesDecideWhatIsStored() throws Exception {
        Idempotency idempotency = engine(config().storedStatuses(StoredStatuses.parse("2xx,500")));
        CountingHandler handler = CountingHandler.status(500);

        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(500, replayed(idempotency.process(FakeRequest.post(), handler)).status());

        executed(idempotency.process(FakeRequest.post().key("k2"), CountingHandler.status(404)), false);
    }

    @Test
    void handlerExceptionPropagatesUnchangedAndFreesTheKey() throws Exception {
        IllegalStateException failure = new IllegalStateException("database down");
        Idempotency idempotency = engine();

        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> idempotency.process(FakeRequest.post(), body -> {
                    throw failure;
                }));

        assertSame(failure, thrown);
        assertEquals(0, memory.size());
        CountingHandler handler = CountingHandler.created();
        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(1, handler.calls());
    }

    @Test
    void handlerCheckedExceptionPropagatesUnchanged() {
        Exception failure = new Exception("checked");
        Exception thrown = assertThrows(Exception.class, () -> engine().process(FakeRequest.post(), body -> {
            throw failure;
        }));
        assertSame(failure, thrown);
        assertEquals(0, memory.size());
    }

    @Test
    void handlerErrorPropagatesUnchangedAndFreesTheKey() {
        Error failure = new Error("fatal");
        Error thrown = assertThrows(Error.class, () -> engine().process(FakeRequest.post(), body -> {
            throw failure;
        }));
        assertSame(failure, thrown);
        assertEquals(0, memory.size());
    }

    @Test
    void truncatedResponseIsRejectedAndFreesTheKey() throws Exception {
        Idempotency idempotency = engine(config().maxResponseBytes(2048));
        RequestHandler tooLarge = body -> HandlerResponse.truncated(200,
                List.of(new Header("Content-Type", "application/json")));

        Problem problem = rejected(idempotency.process(FakeRequest.post(), tooLarge), 500, "response-too-large");

        assertTrue(problem.detail().contains("2048"), problem.detail());
        assertEquals(0, memory.size());
        CountingHandler handler = CountingHandler.created();
        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(1, handler.calls());
    }

    @Test
    void truncatedResponseIsRejectedEvenWithAStatusThatIsNotStored() throws Exception {
        rejected(engine().process(FakeRequest.post(), body -> HandlerResponse.truncated(500, List.of())),
                500, "response-too-large");
    }

    @Test
    void responseOverTheLimitIsRejectedEvenIfTheAdapterDidNotMarkItTruncated() throws Exception {
        Idempotency idempotency = engine(config().maxResponseBytes(16));
        Problem problem = rejected(idempotency.process(FakeRequest.post(),
                body -> HandlerResponse.of(201, List.of(), new byte[17])), 500, "response-too-large");
        assertTrue(problem.detail().contains("16"), problem.detail());
        assertEquals(0, memory.size());
        executed(idempotency.process(FakeRequest.post(), body -> HandlerResponse.of(201, List.of(), new byte[16])), true);
    }

    // --- concurrency ------------------------------------------------------------------------------

    /** A handler that signals when it has started and then blocks until released. */
    private static final class BlockingHandler implements RequestHandler {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        private final RuntimeException failure;

        BlockingHandler() {
            this(null);
        }

        BlockingHandler(RuntimeException failure) {
            this.failure = failure;
        }

        @Override
        public HandlerResponse handle(byte[] body) throws InterruptedException {
            calls.incrementAndGet();
            entered.countDown();
            if (!release.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("never released");
            }
            if (failure != null) {
                throw failure;
            }
            return json(201, "{\"first\":true}");
        }
    }

    private Future<Outcome> startFirst(Idempotency idempotency, BlockingHandler handler) throws InterruptedException {
        Future<Outcome> first = threads.submit(() -> idempotency.process(FakeRequest.post(), handler));
        assertTrue(handler.entered.await(10, TimeUnit.SECONDS), "the first request never reached its handler");
        return first;
    }

    @Test
    void concurrentDuplicateIsRejectedWith409AndRetryAfterInRejectMode() throws Exception {
        Idempotency idempotency = engine(config().retryAfter(Duration.ofSeconds(3)));
        BlockingHandler first = new BlockingHandler();
        Future<Outcome> firstOutcome = startFirst(idempotency, first);

        Problem problem = rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 409, "in-progress");

        assertEquals(Optional.of("3"), problem.retryAfterHeader());
        first.release.countDown();
        executed(firstOutcome.get(10, TimeUnit.SECONDS), true);
        replayed(idempotency.process(FakeRequest.post(), MUST_NOT_RUN));
        assertEquals(1, first.calls.get());
    }

    /**
     * A different request under a key whose first request still runs is a reuse of the key (422, as the IETF
     * draft has it for a key reused with another payload), not a retry that should wait (409).
     */
    @Test
    void concurrentRequestWithADifferentBodyIsKeyReuse422WhileTheFirstRuns() throws Exception {
        Idempotency idempotency = engine();
        BlockingHandler first = new BlockingHandler();
        Future<Outcome> firstOutcome = startFirst(idempotency, first);

        rejected(idempotency.process(FakeRequest.post().body("{\"amount\":1}"), MUST_NOT_RUN), 422, "key-reused");

        first.release.countDown();
        executed(firstOutcome.get(10, TimeUnit.SECONDS), true);
    }

    @Test
    void concurrentDuplicateWaitsAndIsReplayedInWaitMode() throws Exception {
        HookedStore store = new HookedStore();
        Idempotency idempotency = Idempotency.create(store,
                config().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(Duration.ofSeconds(10)).build());
        BlockingHandler first = new BlockingHandler();
        Future<Outcome> firstOutcome = startFirst(idempotency, first);

        Future<Outcome> second = threads.submit(() -> idempotency.process(FakeRequest.post(), MUST_NOT_RUN));
        assertTrue(store.busySeen.await(10, TimeUnit.SECONDS), "the second request never found the key busy");
        assertFalse(second.isDone(), "in WAIT mode the second request waits");
        first.release.countDown();

        HandlerResponse original = executed(firstOutcome.get(10, TimeUnit.SECONDS), true);
        StoredResponse replay = replayed(second.get(10, TimeUnit.SECONDS));
        assertArrayEquals(original.body(), replay.body());
        assertEquals(1, first.calls.get());
    }

    @Test
    void waitingRequestRunsItselfWhenTheFirstFails() throws Exception {
        HookedStore store = new HookedStore();
        Idempotency idempotency = Idempotency.create(store,
                config().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(Duration.ofSeconds(10)).build());
        BlockingHandler first = new BlockingHandler(new IllegalStateException("first failed"));
        Future<Outcome> firstOutcome = startFirst(idempotency, first);
        CountingHandler secondHandler = CountingHandler.created();

        Future<Outcome> second = threads.submit(() -> idempotency.process(FakeRequest.post(), secondHandler));
        assertTrue(store.busySeen.await(10, TimeUnit.SECONDS));
        first.release.countDown();

        Exception failure = assertThrows(Exception.class, () -> firstOutcome.get(10, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, failure.getCause());
        executed(second.get(10, TimeUnit.SECONDS), true);
        assertEquals(1, secondHandler.calls());
    }

    /**
     * The wait is timed by the configured clock and paused by the engine's sleeper: the backoff doubles from 5 ms
     * to 200 ms, the last pause is what is left of the timeout, and the request gives up exactly when the
     * clock reaches the deadline. An engine that timed the wait by anything else would poll on and on here,
     * with the clock never moving but by the pauses.
     */
    @Test
    void waitModeGivesUpWith409WhenTheWaitTimeoutHasPassedOnTheClock() throws Exception {
        HookedStore store = new HookedStore();
        ClockSleeper sleeper = new ClockSleeper();
        Idempotency idempotency = Idempotency.create(store,
                config().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(Duration.ofSeconds(1)).build(), sleeper);
        BlockingHandler first = new BlockingHandler();
        Future<Outcome> firstOutcome = startFirst(idempotency, first);
        Instant waitStarted = clock.instant();
        int claimsBefore = store.claims.size();

        Problem problem = rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 409, "in-progress");

        assertEquals(waitStarted.plus(Duration.ofSeconds(1)), clock.instant(), "it gave up at the deadline");
        assertEquals(List.of(5L, 10L, 20L, 40L, 80L, 160L, 200L, 200L, 200L, 85L), sleeper.pauses);
        assertEquals(sleeper.pauses.size() + 1, store.claims.size() - claimsBefore, "one poll per pause, and one more");
        assertEquals(Optional.of("1"), problem.retryAfterHeader());
        first.release.countDown();
        executed(firstOutcome.get(10, TimeUnit.SECONDS), true);
        assertEquals(1, first.calls.get());
    }

    @Test
    void waitingRequestIsReplayedAtItsFirstPollAfterTheFirstRequestStoredItsOutcome() throws Exception {
        HookedStore store = new HookedStore();
        BlockingHandler first = new BlockingHandler();
        AtomicReference<Future<Outcome>> firstOutcome = new AtomicReference<>();
        ClockSleeper sleeper = new ClockSleeper(pause -> {
            if (pause == 3) {
                first.release.countDown();
                awaitQuietly(firstOutcome.get());
            }
        });
        Idempotency idempotency = Idempotency.create(store,
                config().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(Duration.ofSeconds(10)).build(), sleeper);
        firstOutcome.set(startFirst(idempotency, first));

        StoredResponse replay = replayed(idempotency.process(FakeRequest.post(), MUST_NOT_RUN));

        assertEquals(List.of(5L, 10L, 20L), sleeper.pauses);
        assertArrayEquals(executed(firstOutcome.get().get(10, TimeUnit.SECONDS), true).body(), replay.body());
        assertEquals(1, first.calls.get());
    }

    @Test
    void waitingRequestRunsAtItsFirstPollAfterTheFirstRequestFreedTheKey() throws Exception {
        HookedStore store = new HookedStore();
        BlockingHandler first = new BlockingHandler(new IllegalStateException("first failed"));
        AtomicReference<Future<Outcome>> firstOutcome = new AtomicReference<>();
        ClockSleeper sleeper = new ClockSleeper(pause -> {
            if (pause == 2) {
                first.release.countDown();
                awaitQuietly(firstOutcome.get());
            }
        });
        Idempotency idempotency = Idempotency.create(store,
                config().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(Duration.ofSeconds(10)).build(), sleeper);
        firstOutcome.set(startFirst(idempotency, first));
        CountingHandler second = CountingHandler.created();

        executed(idempotency.process(FakeRequest.post(), second), true);

        assertEquals(List.of(5L, 10L), sleeper.pauses);
        assertEquals(1, second.calls());
    }

    @Test
    void waitInterruptedIsAnsweredInProgressAndKeepsTheInterrupt() throws Exception {
        Idempotency idempotency = Idempotency.create(memory,
                config().concurrent(ConcurrentRequestPolicy.WAIT).waitTimeout(Duration.ofSeconds(10)).build(),
                millis -> {
                    throw new InterruptedException("shutting down");
                });
        BlockingHandler first = new BlockingHandler();
        Future<Outcome> firstOutcome = startFirst(idempotency, first);

        try {
            rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 409, "in-progress");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
        first.release.countDown();
        executed(firstOutcome.get(10, TimeUnit.SECONDS), true);
    }

    /** Waits for the first request's outcome, whatever it is, from inside a sleeper. */
    private static void awaitQuietly(Future<Outcome> outcome) {
        try {
            outcome.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            // A first request that failed has freed its key: what the test wants.
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("the first request did not finish", e);
        }
    }

    @Test
    void rejectModeDoesNotWait() throws Exception {
        Idempotency idempotency = engine(config().waitTimeout(Duration.ofSeconds(10)));
        BlockingHandler first = new BlockingHandler();
        Future<Outcome> firstOutcome = startFirst(idempotency, first);

        long started = System.nanoTime();
        rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 409, "in-progress");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < 2_000);

        first.release.countDown();
        firstOutcome.get(10, TimeUnit.SECONDS);
    }

    /** The handler returns only once every duplicate has found the key busy, so each of them waited. */
    @Test
    void manyConcurrentDuplicatesRunTheHandlerOnce() throws Exception {
        HookedStore store = new HookedStore();
        Idempotency idempotency = Idempotency.create(store, config().concurrent(ConcurrentRequestPolicy.WAIT)
                .waitTimeout(Duration.ofSeconds(10)).build());
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        RequestHandler slow = body -> {
            calls.incrementAndGet();
            store.awaitBusyThreads(15);
            return json(201, "{}");
        };
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            outcomes.add(threads.submit(() -> {
                go.await();
                return idempotency.process(FakeRequest.post(), slow);
            }));
        }
        go.countDown();

        int executed = 0;
        int replays = 0;
        for (Future<Outcome> f : outcomes) {
            Outcome o = f.get(20, TimeUnit.SECONDS);
            if (o instanceof Outcome.Executed) {
                executed++;
            } else if (o instanceof Outcome.Replayed) {
                replays++;
            }
        }
        assertEquals(1, calls.get());
        assertEquals(1, executed);
        assertEquals(15, replays);
    }

    @Test
    void hugeRetryAfterIsRefusedAtStartUpNotWhileServing() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyProperties.parse(java.util.Map.of("idempotency.retry-after", "1000000000000d")));
        assertTrue(e.getMessage().contains("idempotency.retry-after") && e.getMessage().contains("1000000000000d"),
                e.getMessage());
    }

    // --- expiry -----------------------------------------------------------------------------------

    @Test
    void keyRunsAgainAfterItsTtl() throws Exception {
        Idempotency idempotency = engine(config().keyTtl(Duration.ofHours(1)));
        CountingHandler handler = CountingHandler.created();
        executed(idempotency.process(FakeRequest.post(), handler), true);

        clock.advance(Duration.ofMinutes(59).plusSeconds(59));
        replayed(idempotency.process(FakeRequest.post(), handler));
        assertEquals(1, handler.calls());

        clock.advance(Duration.ofSeconds(2));
        HandlerResponse again = executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(2, handler.calls());
        assertArrayEquals("{\"id\":2}".getBytes(UTF_8), again.body());
    }

    @Test
    void recordExpiresExactlyAtItsTtl() throws Exception {
        Idempotency idempotency = engine(config().keyTtl(Duration.ofHours(1)));
        CountingHandler handler = CountingHandler.created();
        executed(idempotency.process(FakeRequest.post(), handler), true);

        clock.advance(Duration.ofHours(1).minusNanos(1));
        replayed(idempotency.process(FakeRequest.post(), handler));
        assertEquals(1, handler.calls(), "a nanosecond before its time to live the record still counts");

        clock.advance(Duration.ofNanos(1));
        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(2, handler.calls());
    }

    @Test
    void timeToLiveCountsFromTheStoredOutcomeSoARequestThatRanLongerIsStillReplayed() throws Exception {
        Idempotency idempotency = engine(config().keyTtl(Duration.ofSeconds(2)));
        CountingHandler handler = CountingHandler.created();
        RequestHandler slow = body -> {
            clock.advance(Duration.ofSeconds(5));
            return handler.handle(body);
        };
        executed(idempotency.process(FakeRequest.post(), slow), true);

        clock.advance(Duration.ofSeconds(1));
        replayed(idempotency.process(FakeRequest.post(), slow));
        assertEquals(1, handler.calls(), "a retry 1 s after a 5 s request with a 2 s time to live is a replay");

        clock.advance(Duration.ofSeconds(1));
        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(2, handler.calls(), "2 s after the outcome was stored, the key runs again");
    }

    @Test
    void expiredKeyMayBeReusedForADifferentRequest() throws Exception {
        Idempotency idempotency = engine(config().keyTtl(Duration.ofHours(1)));
        executed(idempotency.process(FakeRequest.post(), CountingHandler.created()), true);
        rejected(idempotency.process(FakeRequest.post().body("{\"amount\":77}"), MUST_NOT_RUN), 422, "key-reused");

        clock.advance(Duration.ofHours(2));
        executed(idempotency.process(FakeRequest.post().body("{\"amount\":77}"), CountingHandler.created()), true);
    }

    @Test
    void claimIsDatedByTheConfiguredClockAndTtl() throws Exception {
        HookedStore store = new HookedStore();
        Idempotency.create(store, config().keyTtl(Duration.ofMinutes(30)).build())
                .process(FakeRequest.post(), CountingHandler.created());

        ClaimRequest claim = store.claims.get(0);
        assertEquals(START, claim.now());
        assertEquals(START.plus(Duration.ofMinutes(30)), claim.expiresAt());
    }

    // --- store failures ---------------------------------------------------------------------------

    @Test
    void storeUnavailableWhileClaimingIs503WithRetryAfter() throws Exception {
        HookedStore store = new HookedStore();
        store.failClaimWith = new StoreUnavailableException("database down", null);
        Idempotency idempotency = Idempotency.create(store, config().retryAfter(Duration.ofSeconds(5)).build());

        Problem problem = rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 503, "store-unavailable");

        assertEquals(Optional.of("5"), problem.retryAfterHeader());
    }

    @Test
    void storeFailureWhileClaimingIs500() throws Exception {
        HookedStore store = new HookedStore();
        store.failClaimWith = new StoreException("relation does not exist");
        Idempotency idempotency = Idempotency.create(store, config().build());

        Problem problem = rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 500, "store-failure");

        assertTrue(problem.retryAfter().isEmpty());
    }

    @Test
    void storeUnavailableWhileCompletingIs503AndFreesTheKey() throws Exception {
        HookedStore store = new HookedStore();
        store.failCompleteWith = new StoreUnavailableException("connection lost", null);
        Idempotency idempotency = Idempotency.create(store, config().build());
        CountingHandler handler = CountingHandler.created();

        Problem problem = rejected(idempotency.process(FakeRequest.post(), handler), 503, "store-unavailable");

        assertEquals(Optional.of("1"), problem.retryAfterHeader());
        assertEquals(0, memory.size(), "the key is freed");
        store.failCompleteWith = null;
        executed(idempotency.process(FakeRequest.post(), handler), true);
        assertEquals(2, handler.calls());
    }

    @Test
    void storeFailureWhileCompletingIs500AndFreesTheKey() throws Exception {
        HookedStore store = new HookedStore();
        store.failCompleteWith = new StoreException("constraint violated");
        Idempotency idempotency = Idempotency.create(store, config().build());

        rejected(idempotency.process(FakeRequest.post(), CountingHandler.created()), 500, "store-failure");

        assertEquals(0, memory.size());
    }

    /**
     * A record stored by a release that computed version-1 fingerprints (which ignore the media type) is
     * compared by computing the retry's fingerprint in version 1: the retry is replayed, and a different
     * request is still refused.
     */
    @Test
    void recordWithAVersion1FingerprintIsReplayedToTheSameRequestAndRefusedToAnother() throws Exception {
        FakeRequest original = FakeRequest.post().body("{\"amount\":10}");
        RequestFingerprint v1 = RequestFingerprint.of(1, "POST", "/orders", null, "application/json", null,
                "{ \"amount\": 10 }".getBytes(UTF_8));
        IdempotencyStore earlierRelease = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                return new ClaimResult.Existing(new StoredRecord(request.key(), v1,
                        StoredResponse.of(201, List.of(), "{\"id\":1}".getBytes(UTF_8)), request.now(),
                        request.expiresAt()));
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                return 0;
            }
        };
        Idempotency idempotency = Idempotency.create(earlierRelease, config().build());

        StoredResponse replay = replayed(idempotency.process(original, MUST_NOT_RUN));
        assertArrayEquals("{\"id\":1}".getBytes(UTF_8), replay.body());
        rejected(idempotency.process(FakeRequest.post().body("{\"amount\":11}"), MUST_NOT_RUN), 422, "key-reused");
    }

    @Test
    void sameKeyAndBytesUnderAnotherMediaTypeIsKeyReuse() throws Exception {
        Idempotency idempotency = engine();
        executed(idempotency.process(FakeRequest.post().contentType("application/json").body("{\"a\":1}"),
                CountingHandler.created()), true);
        rejected(idempotency.process(FakeRequest.post().contentType("application/merge-patch+json")
                .body("{\"a\":1}"), MUST_NOT_RUN), 422, "key-reused");
        rejected(idempotency.process(FakeRequest.post().contentType("text/plain").body("{\"a\":1}"), MUST_NOT_RUN),
                422, "key-reused");
        replayed(idempotency.process(FakeRequest.post().contentType("Application/JSON").body("{ \"a\" : 1 }"),
                MUST_NOT_RUN));
    }

    @Test
    void anEncodedBodyIsNotParsedAsJsonAndItsCodingCounts() throws Exception {
        Idempotency idempotency = engine();
        byte[] gzip = {0x1f, (byte) 0x8b, 0x08, 0x00, 0x00};
        CountingHandler handler = CountingHandler.status(415);
        executed(idempotency.process(FakeRequest.post().contentType("application/json").contentEncoding("gzip")
                .body(gzip), handler), true);
        replayed(idempotency.process(FakeRequest.post().contentType("application/json").contentEncoding("gzip")
                .body(gzip), MUST_NOT_RUN));
        rejected(idempotency.process(FakeRequest.post().contentType("application/json").contentEncoding("br")
                .body(gzip), MUST_NOT_RUN), 422, "key-reused");
    }

    @Test
    void recordOfAnUnknownFingerprintVersionIs503() throws Exception {
        IdempotencyStore newerRelease = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                return new ClaimResult.Existing(new StoredRecord(request.key(),
                        RequestFingerprint.restore(99, new byte[32]),
                        StoredResponse.of(201, List.of(), new byte[0]), request.now(), request.expiresAt()));
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                return 0;
            }
        };
        Idempotency idempotency = Idempotency.create(newerRelease, config().retryAfter(Duration.ofSeconds(2)).build());

        Problem problem = rejected(idempotency.process(FakeRequest.post(), MUST_NOT_RUN), 503,
                "fingerprint-version-unknown");

        assertTrue(problem.detail().contains("99"), problem.detail());
        assertEquals(Optional.of("2"), problem.retryAfterHeader());
    }

    @Test
    void busyStoreHintBecomesTheRetryAfter() throws Exception {
        IdempotencyStore busy = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                return new ClaimResult.Busy(Optional.of(Duration.ofSeconds(7)), Optional.empty(), false);
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                return 0;
            }
        };

        Problem problem = rejected(Idempotency.create(busy, config().build()).process(FakeRequest.post(),
                MUST_NOT_RUN), 409, "in-progress");

        assertEquals(Optional.of("7"), problem.retryAfterHeader());
    }

    // --- construction -----------------------------------------------------------------------------

    @Test
    void createRefusesNullsAndExposesItsParts() {
        IdempotencyConfig config = config().build();
        assertThrows(NullPointerException.class, () -> Idempotency.create(null, config));
        assertThrows(NullPointerException.class, () -> Idempotency.create(memory, null));
        Idempotency idempotency = Idempotency.create(memory, config);
        assertSame(memory, idempotency.store());
        assertSame(config, idempotency.config());
        assertEquals(IdempotencyConfig.DEFAULT_KEY_TTL, Idempotency.create(memory).config().keyTtl());
    }

    @Test
    void processRefusesNulls() {
        Idempotency idempotency = engine();
        assertThrows(NullPointerException.class, () -> idempotency.process(null, MUST_NOT_RUN));
        assertThrows(NullPointerException.class, () -> idempotency.process(FakeRequest.post(), null));
    }
}
