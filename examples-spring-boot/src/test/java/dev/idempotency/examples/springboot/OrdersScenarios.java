package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.UUID;

/**
 * The HTTP scenarios every database runs: the same requests and assertions against H2 and PostgreSQL.
 * Each scenario uses its own idempotency key and item, so scenarios share one running application.
 */
final class OrdersScenarios {

    static final String API_KEY = "client-a";

    private OrdersScenarios() {
    }

    /** A retry with the same key gets the first answer, marked as replayed, and the order exists once. */
    static void replaysTheFirstAnswerAndInsertsOnce(RunningApplication app) throws Exception {
        String key = UUID.randomUUID().toString();
        String item = "book-" + key;
        String body = "{\"item\":\"" + item + "\"}";

        HttpResponse<String> first = app.post("/orders", body, "Idempotency-Key", key, "X-Api-Key", API_KEY);
        assertEquals(201, first.statusCode(), first::body);
        assertEquals(Optional.empty(), first.headers().firstValue("Idempotent-Replayed"));
        assertTrue(first.body().contains("\"item\":\"" + item + "\""), first::body);
        String location = first.headers().firstValue("Location").orElseThrow();
        assertTrue(location.matches(".*/orders/\\d+"), location);

        HttpResponse<String> retry = app.post("/orders", body, "Idempotency-Key", key, "X-Api-Key", API_KEY);
        assertEquals(201, retry.statusCode(), retry::body);
        assertEquals(Optional.of("true"), retry.headers().firstValue("Idempotent-Replayed"));
        assertEquals(first.body(), retry.body());
        assertEquals(Optional.of(location), retry.headers().firstValue("Location"));
        assertEquals(first.headers().firstValue("Content-Type"), retry.headers().firstValue("Content-Type"));

        assertEquals(1, app.ordersOf(item));
        HttpResponse<String> list = app.get("/orders");
        assertEquals(200, list.statusCode());
        assertEquals(1, list.body().split("\"item\":\"" + item + "\"", -1).length - 1, list::body);
    }

    /**
     * A handler that throws after its insert leaves no row, and frees the key: the retry (same key, same
     * body; headers are not part of the request's fingerprint) runs the handler again and inserts once.
     */
    static void rollsBackAThrowingHandlerAndRunsTheRetry(RunningApplication app) throws Exception {
        String key = UUID.randomUUID().toString();
        String item = "lamp-" + key;
        String body = "{\"item\":\"" + item + "\"}";

        HttpResponse<String> failed = app.post("/orders", body, "Idempotency-Key", key, "X-Api-Key", API_KEY,
                "X-Fail", "true");
        assertEquals(500, failed.statusCode(), failed::body);
        assertFalse(failed.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals(0, app.ordersOf(item));

        HttpResponse<String> retry = app.post("/orders", body, "Idempotency-Key", key, "X-Api-Key", API_KEY);
        assertEquals(201, retry.statusCode(), retry::body);
        assertEquals(Optional.empty(), retry.headers().firstValue("Idempotent-Replayed"));
        assertEquals(1, app.ordersOf(item));
    }
}
