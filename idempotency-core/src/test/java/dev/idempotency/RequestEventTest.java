package dev.idempotency;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.RequestOutcome;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.store.InMemoryIdempotencyStore;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The engine reports exactly one event per answer to a covered request, with the outcome of its behaviour row. */
class RequestEventTest {

    private final InMemoryIdempotencyStore memory = InMemoryIdempotencyStore.create();
    private final List<RequestEvent> events = new CopyOnWriteArrayList<>();
    private final IdempotencyListener recording = new IdempotencyListener() {
        @Override
        public void onRequest(RequestEvent event) {
            events.add(event);
        }
    };

    private static final RequestHandler CREATED = body -> HandlerResponse.of(201, List.of(new Header("Content-Type",
            "application/json")), "{\"id\":1}".getBytes(UTF_8));

    private Idempotency engine(IdempotencyStore store) {
        return Idempotency.create(store, IdempotencyConfig.ofDefaults(), recording);
    }

    private RequestEvent only() {
        assertEquals(1, events.size(), () -> "events: " + events);
        RequestEvent event = events.remove(0);
        return event;
    }

    @Test
    void firstRequestIsExecutedWithClaimAndCompleteDurations() throws Exception {
        engine(memory).process(FakeRequest.post(), CREATED);

        RequestEvent event = only();
        assertEquals(RequestOutcome.EXECUTED, event.outcome());
        assertEquals(ExecutionMode.TRANSACTION, event.mode());
        assertTrue(event.claimDuration().isPresent());
        assertTrue(event.completeDuration().isPresent());
        assertEquals(8, event.scopeHash().orElseThrow().length());
        assertFalse(event.toString().contains("client-a"), "the scope appears only hashed: " + event);
        assertFalse(event.toString().contains("key-1"), "the key never appears: " + event);
    }

    @Test
    void retryIsReplayedAndAnotherRequestUnderTheKeyIsAMismatch() throws Exception {
        Idempotency engine = engine(memory);
        engine.process(FakeRequest.post(), CREATED);
        events.clear();

        assertInstanceOf(Outcome.Replayed.class, engine.process(FakeRequest.post(), CREATED));
        RequestEvent replay = only();
        assertEquals(RequestOutcome.REPLAYED, replay.outcome());
        assertTrue(replay.completeDuration().isEmpty(), "a replay stores nothing");

        engine.process(FakeRequest.post().body("{\"amount\":99}"), CREATED);
        assertEquals(RequestOutcome.MISMATCH, only().outcome());
    }

    @Test
    void refusalsBeforeTheClaimNameTheirRowAndCarryNoClaim() throws Exception {
        Idempotency engine = engine(memory);

        engine.process(FakeRequest.post().keys(), CREATED);
        RequestEvent missing = only();
        assertEquals(RequestOutcome.MISSING_KEY, missing.outcome());
        assertTrue(missing.claimDuration().isEmpty());
        assertTrue(missing.scopeHash().isEmpty());
        assertEquals(ExecutionMode.TRANSACTION, missing.mode());

        engine.process(FakeRequest.post().keys("\"a\"", "\"b\""), CREATED);
        assertEquals(RequestOutcome.INVALID_KEY, only().outcome());
        engine.process(FakeRequest.post().key("\"\""), CREATED);
        assertEquals(RequestOutcome.INVALID_KEY, only().outcome());
        engine.process(FakeRequest.post().scope(""), CREATED);
        assertEquals(RequestOutcome.UNIDENTIFIED_CLIENT, only().outcome());
        engine.process(FakeRequest.post().body(new byte[IdempotencyConfig.DEFAULT_MAX_REQUEST_BYTES + 1]), CREATED);
        assertEquals(RequestOutcome.TOO_LARGE, only().outcome());
        engine.process(FakeRequest.post().body("{\"amount\":"), CREATED);
        assertEquals(RequestOutcome.MALFORMED_BODY, only().outcome());
    }

    @Test
    void passThroughIsNotReported() throws Exception {
        engine(memory).process(FakeRequest.post().method("GET"), CREATED);

        assertTrue(events.isEmpty(), "events: " + events);
    }

    @Test
    void handlerThatThrowsOrAnswers5xxIsFailed() throws Exception {
        Idempotency engine = engine(memory);

        assertThrows(IllegalStateException.class, () -> engine.process(FakeRequest.post(), body -> {
            throw new IllegalStateException("boom");
        }));
        assertEquals(RequestOutcome.FAILED, only().outcome());

        engine.process(FakeRequest.post(), body -> HandlerResponse.of(503, List.of(), new byte[0]));
        RequestEvent failed = only();
        assertEquals(RequestOutcome.FAILED, failed.outcome());
        assertTrue(failed.completeDuration().isEmpty(), "nothing was stored");
    }

    @Test
    void storeUnavailableIsReportedWithTheClaimItTried() throws Exception {
        IdempotencyStore down = new IdempotencyStore() {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                throw new StoreUnavailableException("database down", null);
            }

            @Override
            public int purgeExpired(Instant now, int limit) {
                return 0;
            }
        };

        engine(down).process(FakeRequest.post(), CREATED);

        RequestEvent event = only();
        assertEquals(RequestOutcome.STORE_UNAVAILABLE, event.outcome());
        assertTrue(event.claimDuration().isPresent());
    }

    @Test
    void aListenerThatThrowsChangesNoAnswer() throws Exception {
        Idempotency engine = Idempotency.create(memory, IdempotencyConfig.ofDefaults(), new IdempotencyListener() {
            @Override
            public void onRequest(RequestEvent event) {
                throw new IllegalStateException("listener broken");
            }
        });

        assertInstanceOf(Outcome.Executed.class, engine.process(FakeRequest.post(), CREATED));
        assertInstanceOf(Outcome.Replayed.class, engine.process(FakeRequest.post(), CREATED));
    }

    @Test
    void everyOutcomeHasADistinctLowerCaseTag() {
        long distinct = java.util.Arrays.stream(RequestOutcome.values()).map(RequestOutcome::tag).distinct().count();
        assertEquals(RequestOutcome.values().length, distinct);
        for (RequestOutcome outcome : RequestOutcome.values()) {
            assertTrue(outcome.tag().matches("[a-z_]+"), outcome.tag());
        }
    }
}
