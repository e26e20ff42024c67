package dev.idempotency.client;

import static dev.idempotency.client.ScriptedServer.answer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The uses that README.md and docs/client.md show, run as they are shown. */
class DocumentedUsageTest {

    private static HttpRequest charge(URI uri) {
        return HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":1200,\"currency\":\"eur\"}")).build();
    }

    @Test
    void twoLines() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(new ScriptedServer.Drop(), answer(201, "{\"id\":\"ch_1\"}"))) {
            HttpRequest request = charge(server.uri("/charges"));
            // tag::two-lines[]
            IdempotentHttpClient client = IdempotentHttpClient.wrap(HttpClient.newHttpClient());
            IdempotentResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
            // end::two-lines[]
            assertEquals(201, answer.statusCode());
            assertEquals(2, answer.attempts());
        }
    }

    @Test
    void stripeStyle() throws Exception {
        try (ScriptedServer server = ScriptedServer.inTurn(answer(500, "Stripe-Should-Retry", "true"), answer(200))) {
            // tag::stripe-style[]
            IdempotentHttpClient stripeStyle = IdempotentHttpClient.builder(HttpClient.newHttpClient())
                    .keyFormat(IdempotentHttpClient.KeyFormat.BARE)          // Stripe documents the bare key
                    .retryPolicy(RetryPolicy.custom().maxAttempts(3).deadline(Duration.ofSeconds(30)).build())
                    .build();
            // end::stripe-style[]
            IdempotentResponse<Void> answer = stripeStyle.send(charge(server.uri("/v1/charges")),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(200, answer.statusCode());
            String sent = server.received().get(0).header("Idempotency-Key");
            assertEquals(answer.key().orElseThrow(), sent, "bare");
            assertEquals(sent, server.received().get(1).header("Idempotency-Key"));
        }
    }

    @Test
    void whatACallerDoesWithTheEnds() throws Exception {
        List<String> log = new ArrayList<>();
        try (ScriptedServer server = ScriptedServer.inTurn(answer(422, "Content-Type", "application/problem+json",
                "{\"title\":\"Idempotency-Key reused\",\"status\":422,\"detail\":\"The key was used for another "
                        + "request.\"}"))) {
            IdempotentHttpClient client = IdempotentHttpClient.wrap(HttpClient.newHttpClient());
            HttpRequest request = charge(server.uri("/charges"));
            // tag::ends[]
            try {
                IdempotentResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
                log.add((answer.replayed() ? "replayed " : "done ") + answer.statusCode());
            } catch (KeyReusedException e) {
                // 422: a bug in the caller (one key for two actions). The problem says what the server saw.
                log.add("key reused: " + e.problem().flatMap(Problem::detail).orElse(e.getMessage()));
            } catch (RequestRefusedException e) {
                // 400 or 413: nothing took effect, and the same request never will.
                log.add("refused " + e.statusCode());
            } catch (RetriesExhaustedException e) {
                // Unknown whether it took effect: keep e.key() and send the same request with it later.
                log.add("try again later with " + e.key().orElseThrow());
            }
            // end::ends[]
        }
        assertEquals(List.of("key reused: The key was used for another request."), log);
        assertTrue(log.get(0).startsWith("key reused"));
    }
}
