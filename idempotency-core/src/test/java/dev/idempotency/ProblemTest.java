package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProblemTest {

    /** Parses a flat JSON object strictly: scalar members only, no duplicates, nothing after it. */
    private static Map<String, Object> parse(byte[] json) throws IOException {
        Map<String, Object> members = new LinkedHashMap<>();
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            assertEquals(JsonToken.START_OBJECT, parser.nextToken());
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                Object v = switch (value) {
                    case VALUE_STRING -> parser.getText();
                    case VALUE_NUMBER_INT -> parser.getIntValue();
                    default -> fail("unexpected token " + value + " for " + name);
                };
                if (members.put(name, v) != null) {
                    fail("duplicate member " + name);
                }
            }
            assertEquals(JsonToken.END_OBJECT, token);
            assertNull(parser.nextToken(), "nothing may follow the object");
        }
        return members;
    }

    @Test
    void toJsonIsAnRfc9457Document() throws IOException {
        Problem problem = Problem.keyReused();
        Map<String, Object> json = parse(problem.toJson("/orders/7"));

        assertEquals(List.of("type", "title", "status", "detail", "instance"), List.copyOf(json.keySet()));
        assertEquals("urn:idempotency:problem:key-reused", json.get("type"));
        assertEquals("Idempotency-Key reused", json.get("title"));
        assertEquals(422, json.get("status"));
        assertEquals(problem.detail(), json.get("detail"));
        assertEquals("/orders/7", json.get("instance"));
    }

    @Test
    void toJsonLeavesInstanceOutWhenNull() throws IOException {
        Map<String, Object> json = parse(Problem.missingKey("POST").toJson(null));
        assertFalse(json.containsKey("instance"));
        assertEquals(400, json.get("status"));
    }

    @Test
    void toJsonEscapesQuotesControlCharactersAndUnicode() throws IOException {
        String reason = "bad \"key\" with \\ and \n newline, \u0001 control, caf\u00e9 and \uD83D\uDE00";
        Problem problem = Problem.invalidKey(reason);
        byte[] bytes = problem.toJson("/p?\"x\"");

        Map<String, Object> json = parse(bytes);
        assertEquals(reason, json.get("detail"));
        assertEquals("/p?\"x\"", json.get("instance"));
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertFalse(text.contains("\n"), "raw newline in JSON output");
        assertFalse(text.contains("\u0001"), "raw control character in JSON output");
    }

    @Test
    void everyFactoryProducesParseableJsonWithItsStatus() throws IOException {
        Map<Problem, Integer> problems = new LinkedHashMap<>();
        problems.put(Problem.missingKey("PATCH"), 400);
        problems.put(Problem.multipleKeys(2), 400);
        problems.put(Problem.invalidKey("x"), 400);
        problems.put(Problem.scopeUnresolved("the X-Api-Key header"), 400);
        problems.put(Problem.malformedBody("x"), 400);
        problems.put(Problem.bodyTooLarge(new RequestBodyTooLargeException(10, 20)), 413);
        problems.put(Problem.keyReused(), 422);
        problems.put(Problem.inProgress(Duration.ofSeconds(1)), 409);
        problems.put(Problem.responseTooLarge(1024), 500);
        problems.put(Problem.storeUnavailable(Duration.ofSeconds(2)), 503);
        problems.put(Problem.unknownFingerprintVersion(9, Duration.ofSeconds(2)), 503);
        problems.put(Problem.storeFailure(), 500);

        for (Map.Entry<Problem, Integer> e : problems.entrySet()) {
            Problem p = e.getKey();
            assertEquals(e.getValue(), p.status(), p.toString());
            Map<String, Object> json = parse(p.toJson("/x"));
            assertEquals(p.status(), json.get("status"));
            assertEquals(p.type(), json.get("type"));
            assertEquals(p.title(), json.get("title"));
            assertEquals(p.detail(), json.get("detail"));
            assertTrue(p.type().startsWith("urn:idempotency:problem:"), p.type());
            assertFalse(p.title().isEmpty());
            assertFalse(p.detail().isEmpty());
        }
    }

    @Test
    void typesAreStableIdentifiers() {
        assertEquals("urn:idempotency:problem:missing-key", Problem.missingKey("POST").type());
        assertEquals("urn:idempotency:problem:multiple-keys", Problem.multipleKeys(2).type());
        assertEquals("urn:idempotency:problem:invalid-key", Problem.invalidKey("x").type());
        assertEquals("urn:idempotency:problem:scope-unresolved", Problem.scopeUnresolved("x").type());
        assertEquals("urn:idempotency:problem:malformed-body", Problem.malformedBody("x").type());
        assertEquals("urn:idempotency:problem:body-too-large",
                Problem.bodyTooLarge(new RequestBodyTooLargeException(1, -1)).type());
        assertEquals("urn:idempotency:problem:key-reused", Problem.keyReused().type());
        assertEquals("urn:idempotency:problem:in-progress", Problem.inProgress(Duration.ofSeconds(1)).type());
        assertEquals("urn:idempotency:problem:response-too-large", Problem.responseTooLarge(1).type());
        assertEquals("urn:idempotency:problem:store-unavailable",
                Problem.storeUnavailable(Duration.ofSeconds(1)).type());
        assertEquals("urn:idempotency:problem:fingerprint-version-unknown",
                Problem.unknownFingerprintVersion(2, Duration.ofSeconds(1)).type());
        assertEquals("urn:idempotency:problem:store-failure", Problem.storeFailure().type());
        assertEquals("application/problem+json", Problem.MEDIA_TYPE);
    }

    @Test
    void detailsCarryTheirContext() {
        assertTrue(Problem.missingKey("PATCH").detail().contains("PATCH"));
        assertTrue(Problem.multipleKeys(3).detail().contains("3"));
        assertEquals("why", Problem.invalidKey("why").detail());
        assertTrue(Problem.scopeUnresolved("the X-Api-Key header").detail().contains("the X-Api-Key header"));
        assertEquals("why", Problem.malformedBody("why").detail());
        String tooLarge = Problem.bodyTooLarge(new RequestBodyTooLargeException(1000, 5000)).detail();
        assertTrue(tooLarge.contains("1000") && tooLarge.contains("5000"), tooLarge);
        assertTrue(tooLarge.contains("idempotency.max-request-bytes"), tooLarge);
        assertTrue(Problem.responseTooLarge(4096).detail().contains("4096"));
        assertTrue(Problem.unknownFingerprintVersion(7, Duration.ofSeconds(1)).detail().contains("7"));
    }

    @Test
    void retryAfterHeaderRoundsUpToWholeSeconds() {
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ofSeconds(1)).retryAfterHeader());
        assertEquals(Optional.of("2"), Problem.inProgress(Duration.ofMillis(1001)).retryAfterHeader());
        assertEquals(Optional.of("2"), Problem.inProgress(Duration.ofMillis(1500)).retryAfterHeader());
        assertEquals(Optional.of("2"), Problem.inProgress(Duration.ofMillis(1999)).retryAfterHeader());
        assertEquals(Optional.of("2"), Problem.inProgress(Duration.ofMillis(2000)).retryAfterHeader());
        assertEquals(Optional.of("30"), Problem.storeUnavailable(Duration.ofSeconds(30)).retryAfterHeader());
    }

    @Test
    void retryAfterHeaderIsAtLeastOneSecond() {
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ZERO).retryAfterHeader());
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ofMillis(1)).retryAfterHeader());
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ofNanos(1)).retryAfterHeader());
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ofMillis(999)).retryAfterHeader());
    }

    @Test
    void retryAfterHeaderRoundsUpSubMillisecondRemainders() {
        assertEquals(Optional.of("2"), Problem.inProgress(Duration.ofSeconds(1).plusNanos(1)).retryAfterHeader());
        assertEquals(Optional.of("2"), Problem.inProgress(Duration.ofMillis(1000).plusNanos(500_000)).retryAfterHeader());
    }

    @Test
    void retryAfterHeaderSurvivesHugeDurations() {
        // The builder accepts any retryAfter of at least 1s, so a huge one must not crash a 409 or 503.
        Duration huge = Duration.ofDays(1_000_000_000_000L);
        assertEquals(Optional.of(Long.toString(huge.getSeconds())), Problem.inProgress(huge).retryAfterHeader());
        assertEquals(Optional.of(Long.toString(Long.MAX_VALUE)),
                Problem.storeUnavailable(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)).retryAfterHeader());
    }

    @Test
    void retryAfterHeaderOfANegativeHintIsOneSecond() {
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ofMillis(-500)).retryAfterHeader());
        assertEquals(Optional.of("1"), Problem.inProgress(Duration.ofSeconds(-5)).retryAfterHeader());
    }

    @Test
    void retryAfterDetailMatchesTheHeader() {
        Problem p = Problem.inProgress(Duration.ofMillis(2500));
        assertTrue(p.detail().contains("Retry after 3 second(s)"), p.detail());
        assertEquals(Optional.of(Duration.ofMillis(2500)), p.retryAfter());
    }

    @Test
    void problemsWithoutRetryHaveNoRetryAfterHeader() {
        assertEquals(Optional.empty(), Problem.keyReused().retryAfterHeader());
        assertEquals(Optional.empty(), Problem.keyReused().retryAfter());
        assertEquals(Optional.empty(), Problem.storeFailure().retryAfterHeader());
        assertEquals(Optional.empty(), Problem.missingKey("POST").retryAfterHeader());
    }

    @Test
    void storeUnavailableAndUnknownVersionCarryRetryAfter() {
        assertEquals(Optional.of("4"), Problem.storeUnavailable(Duration.ofSeconds(4)).retryAfterHeader());
        assertEquals(Optional.of("4"),
                Problem.unknownFingerprintVersion(2, Duration.ofSeconds(4)).retryAfterHeader());
    }

    @Test
    void equalProblemsAreEqual() {
        assertEquals(Problem.keyReused(), Problem.keyReused());
        assertEquals(Problem.keyReused().hashCode(), Problem.keyReused().hashCode());
        assertFalse(Problem.inProgress(Duration.ofSeconds(1)).equals(Problem.inProgress(Duration.ofSeconds(2))));
        assertFalse(Problem.invalidKey("a").equals(Problem.invalidKey("b")));
    }

    @Test
    void toStringShowsStatusTypeAndDetail() {
        String s = Problem.invalidKey("why").toString();
        assertEquals("400 urn:idempotency:problem:invalid-key: why", s);
    }

    @Test
    void aProblemOfAnotherPartOfTheLibraryKeepsTheTypeSchemeAndTheDocument() throws IOException {
        Problem problem = Problem.of(422, "webhook-id-reused", "webhook-id reused", "why", null);

        assertEquals("urn:idempotency:problem:webhook-id-reused", problem.type());
        assertEquals(422, problem.status());
        assertEquals(Optional.empty(), problem.retryAfterHeader());
        Map<String, Object> json = parse(problem.toJson("/webhooks/orders"));
        assertEquals(List.of("type", "title", "status", "detail", "instance"), List.copyOf(json.keySet()));
        assertEquals("webhook-id reused", json.get("title"));
        assertEquals("why", json.get("detail"));
        assertEquals(Optional.of("5"),
                Problem.of(503, "webhook-inbox-unavailable", "t", "d", Duration.ofSeconds(5)).retryAfterHeader());
    }

    @Test
    void aProblemOfAnotherPartIsTheSameDocumentAsTheProtocolsOwnOfThatName() {
        Problem own = Problem.keyReused();
        Problem same = Problem.of(own.status(), "key-reused", own.title(), own.detail(), null);

        assertEquals(own, same);
        assertEquals(new String(own.toJson("/orders"), StandardCharsets.UTF_8),
                new String(same.toJson("/orders"), StandardCharsets.UTF_8));
    }

    @Test
    void aProblemOfAnotherPartRefusesAStatusThatIsNotAnErrorAndANameOutsideTheScheme() {
        IllegalArgumentException status = assertThrows(IllegalArgumentException.class,
                () -> Problem.of(200, "fine", "t", "d", null));
        assertTrue(status.getMessage().contains("400 to 599") && status.getMessage().contains("200"),
                status.getMessage());
        for (String name : List.of("", "Upper", "two--hyphens", "-leading", "trailing-", "space d", "a:b")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Problem.of(400, name, "t", "d", null), name);
            assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
        }
    }
}
