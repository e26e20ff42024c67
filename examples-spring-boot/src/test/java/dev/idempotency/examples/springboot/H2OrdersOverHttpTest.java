package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The example on the database it has when none is configured: Spring Boot's in-memory H2, a fresh one for each
 * application.
 */
class H2OrdersOverHttpTest extends OrdersOverHttpScenarios {

    @Override
    Map<String, String> database() {
        return Map.of();
    }

    /**
     * Form-encoded PATCH bodies count in the fingerprint, though Spring's FormContentFilter, which runs before the
     * starter's filter, has parsed them: a different body is refused rather than answered with the first one's
     * outcome. PATCH /orders has no handler, so the answer is Spring MVC's 405, a stored status, as a problem
     * document, replayed with its {@code Allow} header.
     */
    @Test
    void formEncodedPatchBodiesCountInTheFingerprint() throws Exception {
        RunningApplication app = application();
        String key = UUID.randomUUID().toString();
        String form = "application/x-www-form-urlencoded";
        HttpResponse<String> first = app.send("PATCH", "/orders", form, "item=one", "Idempotency-Key", key,
                "X-Api-Key", CLIENT);
        assertEquals(405, first.statusCode(), first::body);
        assertTrue(first.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"),
                first.headers()::toString);

        HttpResponse<String> otherBody = app.send("PATCH", "/orders", form, "item=two", "Idempotency-Key", key,
                "X-Api-Key", CLIENT);
        assertEquals(422, otherBody.statusCode(), otherBody::body);

        HttpResponse<String> sameBody = app.send("PATCH", "/orders", form, "item=one", "Idempotency-Key", key,
                "X-Api-Key", CLIENT);
        assertEquals(405, sameBody.statusCode(), sameBody::body);
        assertEquals(Optional.of("true"), sameBody.headers().firstValue("Idempotent-Replayed"));
        assertEquals(first.body(), sameBody.body());
        assertTrue(sameBody.headers().firstValue("Allow").isPresent(), "a 405 carries Allow, replayed too");
        assertEquals(first.headers().firstValue("Allow"), sameBody.headers().firstValue("Allow"));
    }
}
