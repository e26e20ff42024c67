package dev.idempotency.client;

import static dev.idempotency.client.ScriptedServer.answer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.client.ScriptedServer.Drop;
import dev.idempotency.client.ScriptedServer.Received;
import dev.idempotency.client.ScriptedServer.Stall;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The client against a real socket whose answers are scripted, lost answers and stalls included. */
class IdempotentHttpClientTest {

    private static final String PROBLEM = "application/problem+json";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** Short pauses, so that the tests that retry many times stay fast. */
    private final RetryPolicy quick = RetryPolicy.custom().backoff(Duration.ofMillis(5), Duration.ofMillis(20))
            .build();

    private final IdempotentHttpClient client = IdempotentHttpClient.builder(http).retryPolicy(quick).build();

    private static HttpRequest post(URI uri) {
        return HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\"}"))
                .header("Content-Type", "application/json").build();
    }

    private static long millisBetween(Received first, Received second) {
        return TimeUnit.NANOSECONDS.toMillis(second.nanos() - first.nanos());
    }

    @Test
    void everyAttemptOfALogicalCallCarriesTheSameKeyUntilTheFinalAnswer() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503, "Retry-After", "0"), answer(409),
                answer(201, "Content-Type", "application/json", "{\"id\":1}"))) {
            IdempotentResponse<String> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(201, answer.statusCode());
            assertEquals("{\"id\":1}", answer.body());
            assertEquals(3, answer.attempts());
            List<Received> attempts = server.received();
            assertEquals(3, attempts.size());
            String key = answer.key().orElseThrow();
            for (Received attempt : attempts) {
                assertEquals("\"" + key + "\"", attempt.header("Idempotency-Key"), "the draft's sf-string form");
                assertEquals("{\"item\":\"book\"}", attempt.body(), "the same body on every attempt");
            }
        }
    }

    @Test
    void anAnswerLostAfterTheServerReadTheRequestIsAskedForAgainWithTheSameKey() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(new Drop(), new Drop(),
                answer(201, "Idempotent-Replayed", "true", "done"))) {
            IdempotentResponse<String> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(201, answer.statusCode());
            assertTrue(answer.replayed(), "the server said it replayed what the first attempt did");
            assertEquals(3, answer.attempts());
            assertEquals(1, server.received().stream().map(r -> r.header("Idempotency-Key")).distinct().count());
        }
    }

    @Test
    void retryAfterInSecondsIsWaitedFor() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503, "Retry-After", "1"), answer(201))) {
            client.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.discarding());

            List<Received> attempts = server.received();
            assertTrue(millisBetween(attempts.get(0), attempts.get(1)) >= 1000,
                    "waited " + millisBetween(attempts.get(0), attempts.get(1)) + " ms");
        }
    }

    @Test
    void retryAfterAsAnHttpDateIsCountedFromTheAnswersOwnDate() throws Exception {
        DateTimeFormatter http = DateTimeFormatter.RFC_1123_DATE_TIME;
        // The server's clock is an hour ahead of this machine's: only the difference of its two dates counts.
        ZonedDateTime serverNow = ZonedDateTime.now(ZoneOffset.UTC).plusHours(1).withNano(0);
        try (ScriptedServer server = ScriptedServer.inTurn(answer(429, "Date", http.format(serverNow),
                "Retry-After", http.format(serverNow.plusSeconds(1))), answer(201))) {
            IdempotentResponse<Void> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.discarding());

            assertEquals(201, answer.statusCode());
            List<Received> attempts = server.received();
            long waited = millisBetween(attempts.get(0), attempts.get(1));
            assertTrue(waited >= 1000 && waited < 30_000, "waited " + waited + " ms");
        }
    }

    @Test
    void retryAfterMsIsPreferredToRetryAfter() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(429, "retry-after-ms", "300", "Retry-After", "30"),
                answer(201))) {
            assertEquals(201, client.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.discarding())
                    .statusCode());
            long waited = millisBetween(server.received().get(0), server.received().get(1));
            assertTrue(waited >= 300 && waited < 30_000, "waited " + waited + " ms");
        }
    }

    @Test
    void aReusedKeyIsAKeyReusedExceptionWithTheProblemAndIsNotRetried() throws Exception {
        String problem = "{\"type\":\"urn:idempotency:problem:key-reuse\",\"title\":\"Idempotency-Key reused\","
                + "\"status\":422,\"detail\":\"This key was used for a different request.\",\"extra\":{\"a\":[1,2]}}";
        try (ScriptedServer server = ScriptedServer.inTurn(answer(422, "Content-Type", PROBLEM, problem))) {
            KeyReusedException e = assertThrows(KeyReusedException.class,
                    () -> client.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.ofString(), "order-42"));

            assertEquals(1, server.received().size());
            assertEquals("order-42", e.key().orElseThrow());
            assertEquals(1, e.attempts());
            assertEquals(422, e.statusCode());
            Problem parsed = e.problem().orElseThrow();
            assertEquals("urn:idempotency:problem:key-reuse", parsed.type());
            assertEquals("This key was used for a different request.", parsed.detail().orElseThrow());
            assertEquals(422, parsed.status().orElseThrow());
            assertTrue(e.getMessage().contains("This key was used for a different request."), e.getMessage());
            assertTrue(e.getMessage().contains("order-42"), e.getMessage());
        }
    }

    @Test
    void fourHundredAndFourHundredThirteenAreRefusalsTriedOnceWhateverTheServerHints() throws Exception {
        for (int status : new int[] {400, 413}) {
            try (ScriptedServer server = ScriptedServer.inTurn(answer(status, "x-should-retry", "true",
                    "Content-Type", PROBLEM, "{\"title\":\"Bad\",\"status\":" + status + "}"))) {
                RequestRefusedException e = assertThrows(RequestRefusedException.class,
                        () -> client.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.ofString()));
                assertEquals(status, e.statusCode());
                assertEquals(1, server.received().size());
                assertEquals("Bad", e.problem().orElseThrow().title().orElseThrow());
                assertFalse(e instanceof KeyReusedException);
            }
        }
    }

    @Test
    void theServersHintWinsOverTheStatus() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503, "x-should-retry", "false"))) {
            IdempotentResponse<Void> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(503, answer.statusCode());
            assertEquals(1, answer.attempts());
        }
        try (ScriptedServer server = ScriptedServer.inTurn(answer(500, "Stripe-Should-Retry", "true"), answer(200))) {
            assertEquals(2, client.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.discarding())
                    .attempts());
        }
    }

    @Test
    void aFiveHundredWithoutAHintIsFinal() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(500, "boom"), answer(201))) {
            IdempotentResponse<String> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(500, answer.statusCode());
            assertEquals("boom", answer.body());
            assertEquals(1, server.received().size());
        }
    }

    @Test
    void whenTheAttemptsRunOutTheExceptionCarriesTheKeyAndTheLastAnswer() throws Exception {
        IdempotentHttpClient threeTimes = IdempotentHttpClient.builder(http)
                .retryPolicy(RetryPolicy.from(quick).maxAttempts(3).build()).build();
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503, "Retry-After", "0", "Content-Type", PROBLEM,
                "{\"title\":\"Store unavailable\",\"status\":503}"))) {
            RetriesExhaustedException e = assertThrows(RetriesExhaustedException.class,
                    () -> threeTimes.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.ofString()));

            assertEquals(RetriesExhaustedException.Reason.ATTEMPTS, e.reason());
            assertEquals(3, e.attempts());
            assertEquals(3, server.received().size());
            assertEquals(503, e.lastStatus().orElseThrow());
            assertEquals("Store unavailable", e.lastProblem().orElseThrow().title().orElseThrow());
            String key = e.key().orElseThrow();
            assertEquals("\"" + key + "\"", server.received().get(2).header("Idempotency-Key"));
            assertTrue(e.getMessage().contains(key), "the message says which key to retry with: " + e.getMessage());
        }
    }

    @Test
    void aPauseThatWouldEndAfterTheDeadlineEndsTheCallAtOnce() throws Exception {
        IdempotentHttpClient oneSecond = IdempotentHttpClient.builder(http)
                .retryPolicy(RetryPolicy.from(quick).deadline(Duration.ofSeconds(1)).build()).build();
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503, "Retry-After", "5"))) {
            long start = System.nanoTime();
            RetriesExhaustedException e = assertThrows(RetriesExhaustedException.class,
                    () -> oneSecond.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.discarding()));
            assertEquals(RetriesExhaustedException.Reason.DEADLINE, e.reason());
            assertEquals(1, e.attempts());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "did not wait out the 5 s");
        }
    }

    @Test
    void anAttemptThatHangsIsCutAtTheDeadline() throws Exception {
        IdempotentHttpClient halfASecond = IdempotentHttpClient.builder(http)
                .retryPolicy(RetryPolicy.from(quick).deadline(Duration.ofMillis(500)).build()).build();
        try (ScriptedServer server = ScriptedServer.inTurn(new Stall(Duration.ofSeconds(30)))) {
            long start = System.nanoTime();
            RetriesExhaustedException e = assertThrows(RetriesExhaustedException.class,
                    () -> halfASecond.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.discarding()));
            assertEquals(RetriesExhaustedException.Reason.DEADLINE, e.reason());
            assertInstanceOf(java.net.http.HttpTimeoutException.class, e.getCause());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "not the server's 30 s");
        }
    }

    @Test
    void aServerThatIsNotThereIsTriedUntilTheAttemptsRunOut() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        IdempotentHttpClient fourTimes = IdempotentHttpClient.builder(http)
                .retryPolicy(RetryPolicy.from(quick).maxAttempts(4).build()).build();
        RetriesExhaustedException e = assertThrows(RetriesExhaustedException.class,
                () -> fourTimes.send(post(URI.create("http://127.0.0.1:" + port + "/orders")),
                        HttpResponse.BodyHandlers.discarding()));
        assertEquals(4, e.attempts());
        assertInstanceOf(ConnectException.class, e.getCause());
        assertTrue(e.lastStatus().isEmpty());
    }

    @Test
    void getIsSentOnceWithoutAKeyUnlessDeclaredIdempotent() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503), answer(200, "ok"))) {
            HttpRequest get = HttpRequest.newBuilder(server.uri("/orders/1")).GET().build();
            IdempotentResponse<String> once = client.send(get, HttpResponse.BodyHandlers.ofString());
            assertEquals(503, once.statusCode());
            assertTrue(once.key().isEmpty());

            IdempotentHttpClient getsRetried = IdempotentHttpClient.builder(http).retryPolicy(quick)
                    .idempotentMethods(Set.of("get")).build();
            IdempotentResponse<String> retried = getsRetried.send(get, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, retried.statusCode());
            assertEquals(1, retried.attempts(), "the script's second answer");
            for (Received request : server.received()) {
                assertNull(request.header("Idempotency-Key"));
            }
        }
    }

    @Test
    void aKeyForAMethodThatIsNotKeyedIsRefusedBeforeAnythingIsSent() {
        HttpRequest put = HttpRequest.newBuilder(URI.create("http://127.0.0.1:9/x"))
                .PUT(HttpRequest.BodyPublishers.noBody()).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.sendAsync(put, HttpResponse.BodyHandlers.discarding(), "k-1"));
        assertTrue(e.getMessage().contains("keyedMethods"), e.getMessage());
    }

    @Test
    void aCallersKeyIsSentAsGivenInTheChosenFormat() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(201))) {
            IdempotentHttpClient bare = IdempotentHttpClient.builder(http)
                    .keyFormat(IdempotentHttpClient.KeyFormat.BARE).build();
            bare.send(post(server.uri("/a")), HttpResponse.BodyHandlers.discarding(), "order-42");
            client.send(post(server.uri("/b")), HttpResponse.BodyHandlers.discarding(), "say\"hi\\");
            HttpRequest own = HttpRequest.newBuilder(post(server.uri("/c")), (n, v) -> true)
                    .header("Idempotency-Key", "mine-7").build();
            IdempotentResponse<Void> answer = client.send(own, HttpResponse.BodyHandlers.discarding());

            assertEquals("order-42", server.received().get(0).header("Idempotency-Key"));
            assertEquals("\"say\\\"hi\\\\\"", server.received().get(1).header("Idempotency-Key"));
            assertEquals("mine-7", server.received().get(2).header("Idempotency-Key"), "the request's own header");
            assertEquals("mine-7", answer.key().orElseThrow());
        }
        HttpRequest own = HttpRequest.newBuilder(post(URI.create("http://127.0.0.1:9/")), (n, v) -> true)
                .header("Idempotency-Key", "mine-7").build();
        assertThrows(IllegalArgumentException.class,
                () -> client.sendAsync(own, HttpResponse.BodyHandlers.discarding(), "other"));
        assertThrows(IllegalArgumentException.class,
                () -> client.sendAsync(own, HttpResponse.BodyHandlers.discarding(), "has space"));
    }

    @Test
    void aKeyKeptBeforeTheFirstAttemptTakesTheCallUpAfterACrashOfTheCaller() throws Exception {
        // tag::kept-key[]
        String key = client.newKey();          // keep it with the caller's own state, before the first attempt
        // ... the caller crashes after sending, restarts, reads the key back, and calls again:
        // end::kept-key[]
        try (ScriptedServer server = ScriptedServer.inTurn(answer(201, "Idempotent-Replayed", "true"))) {
            IdempotentResponse<Void> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.discarding(), key);
            assertTrue(answer.replayed());
            assertEquals("\"" + key + "\"", server.received().get(0).header("Idempotency-Key"));
        }
    }

    @Test
    void theAsynchronousFormCarriesManyConcurrentCallsEachWithItsOwnKey() throws Exception {
        // Each call's first attempt is processed and its answer lost; the second is answered.
        Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (ScriptedServer server = new ScriptedServer(request -> seen.add(request.header("Idempotency-Key"))
                ? new Drop() : answer(201))) {
            List<CompletableFuture<IdempotentResponse<Void>>> calls = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                calls.add(client.sendAsync(post(server.uri("/orders/" + i)), HttpResponse.BodyHandlers.discarding()));
            }
            Set<String> keys = new HashSet<>();
            for (CompletableFuture<IdempotentResponse<Void>> call : calls) {
                IdempotentResponse<Void> answer = call.get(30, TimeUnit.SECONDS);
                assertEquals(201, answer.statusCode());
                assertEquals(2, answer.attempts());
                keys.add(answer.key().orElseThrow());
            }
            assertEquals(50, keys.size(), "one key per logical call");
            assertEquals(100, server.received().size());
        }
    }

    @Test
    void theCallersBodyHandlerReadsTheAnswerAsItWouldFromTheConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(503, "Retry-After", "0"), answer(201, "payload"))) {
            IdempotentResponse<InputStream> answer = client.send(post(server.uri("/orders")),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = answer.body()) {
                assertEquals("payload", new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertEquals(server.uri("/orders"), answer.response().uri());
        }
    }

    @Test
    void anInterruptedCallerGetsInterruptedException() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(new Stall(Duration.ofSeconds(30)))) {
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class,
                    () -> client.send(post(server.uri("/orders")), HttpResponse.BodyHandlers.discarding()));
            assertFalse(Thread.currentThread().isInterrupted(), "the flag was consumed by the exception");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
