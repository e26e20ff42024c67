package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A retry with the same key and the same request gets the first outcome; another request with it is 422. */
class ReplayTest {

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension();

    @Test
    void firstRequestGetsEveryHeaderTheHandlerSet(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();

        assertExecuted(first, 201);
        assertEquals("application/json", first.header("Content-Type"));
        assertEquals("/orders/1", first.header("Location"));
        assertEquals("\"order-1\"", first.header("ETag"));
        assertEquals("yes", first.header("X-Custom"));
        assertEquals(List.of("</orders/1/items>; rel=\"items\"", "</customers/7>; rel=\"customer\""),
                first.headers("Link"));
        assertEquals(1, first.headers("Set-Cookie").size(), first::toString);
        assertTrue(first.header("Set-Cookie").startsWith("session=s1"), first::toString);
        assertEquals(1, first.jsonNumber("invocation"));
        assertEquals("POST", first.jsonString("method"));
        assertEquals("{\"item\":\"book\"}", first.jsonString("received"));
        assertEquals(Integer.toString(first.body().length), first.header("Content-Length"));
    }

    @Test
    void retryWithSameKeyAndBodyReplaysStoredResponseWithoutRunningTheHandler(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();
        Reply retry = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();
        Reply again = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();

        assertExecuted(first, 201);
        assertReplayOf(first, retry);
        assertReplayOf(first, again);
        assertEquals("application/json", retry.header("Content-Type"));
        assertEquals("/orders/1", retry.header("Location"));
        assertEquals("\"order-1\"", retry.header("ETag"));
        assertEquals(first.headers("Link"), retry.headers("Link"), "every value of a repeated header is replayed");
        assertEquals(1, retry.jsonNumber("invocation"));
        assertEquals(1, app.orderInvocations());
        assertEquals(1, app.recordCount());
    }

    @Test
    void configuredExtraHeaderIsReplayed() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.custom().replayedHeaders("X-Custom").build();
        try (JettyApp app = JettyApp.builder().config(config).start()) {
            Reply first = app.post("/orders").key("order-1").json("{}").send();
            Reply retry = app.post("/orders").key("order-1").json("{}").send();

            assertExecuted(first, 201);
            assertEquals(201, retry.status());
            assertTrue(retry.replayed(), retry::toString);
            assertEquals(List.of("yes"), retry.headers("X-Custom"));
            assertEquals("/orders/1", retry.header("Location"));
            assertFalse(retry.hasHeader("Set-Cookie"), "cookies are never replayed, whatever is configured");
            assertArrayEquals(first.body(), retry.body());
            assertEquals(1, app.orderInvocations());
        }
    }

    @Test
    void jsonBodiesDifferingOnlyInMemberOrderAndWhitespaceAreTheSameRequest(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{\"item\":\"book\",\"qty\":2,\"tags\":[\"a\",\"b\"]}")
                .send();
        Reply retry = app.post("/orders").key("order-1")
                .json(" {\n  \"tags\" : [ \"a\" , \"b\" ],\n  \"qty\" : 2,\n  \"item\" : \"book\"\n}\n").send();

        assertExecuted(first, 201);
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void jsonContentTypeWithCharsetParameterIsStillCanonicalised(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1")
                .body("application/json; charset=utf-8", "{\"a\":1,\"b\":2}".getBytes()).send();
        Reply retry = app.post("/orders").key("order-1")
                .body("application/json; charset=utf-8", "{ \"b\":2, \"a\":1 }".getBytes()).send();

        assertExecuted(first, 201);
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void differentJsonBodyWithSameKeyIsRefusedAsKeyReuse(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();
        Reply other = app.post("/orders").key("order-1").json("{\"item\":\"lamp\"}").send();

        assertExecuted(first, 201);
        assertProblem(other, 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void sameKeyAndBytesUnderAnotherMediaTypeIsRefusedAsKeyReuse(JettyApp app) throws Exception {
        byte[] bytes = "{\"item\":\"book\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Reply first = app.post("/orders").key("order-1").body("text/plain", bytes).send();

        assertExecuted(first, 201);
        for (String other : List.of("application/xml", "application/x-www-form-urlencoded", "application/json",
                "text/plain; charset=utf-16")) {
            assertProblem(app.post("/orders").key("order-1").body(other, bytes).send(), 422, "key-reused");
        }
        assertReplayOf(first, app.post("/orders").key("order-1").body("TEXT/Plain", bytes).send());
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void jsonAndMergePatchJsonWithTheSameKeyAreDifferentRequests(JettyApp app) throws Exception {
        byte[] bytes = "{\"item\":\"book\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertExecuted(app.request("PATCH", "/orders/1").key("order-1").body("application/json", bytes).send(), 201);
        assertProblem(app.request("PATCH", "/orders/1").key("order-1").body("application/merge-patch+json", bytes).send(),
                422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void numbersCountAsSentSoOneAndOnePointZeroDiffer(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{\"qty\":1}").send();
        Reply other = app.post("/orders").key("order-1").json("{\"qty\":1.0}").send();

        assertExecuted(first, 201);
        assertProblem(other, 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void nonJsonBodiesCompareByTheirBytes(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").body("text/plain", "a b".getBytes()).send();
        Reply same = app.post("/orders").key("order-1").body("text/plain", "a b".getBytes()).send();
        Reply spaced = app.post("/orders").key("order-1").body("text/plain", "a  b".getBytes()).send();

        assertExecuted(first, 201);
        assertReplayOf(first, same);
        assertProblem(spaced, 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void sameKeyOnAnotherPathIsRefusedAsKeyReuse(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{}").send();
        Reply other = app.post("/orders/express").key("order-1").json("{}").send();

        assertExecuted(first, 201);
        assertProblem(other, 422, "key-reused");
        assertEquals("/orders/express", other.jsonString("instance"));
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void sameKeyWithAnotherQueryIsRefusedAsKeyReuse(JettyApp app) throws Exception {
        Reply first = app.post("/orders?priority=low").key("order-1").json("{}").send();
        Reply other = app.post("/orders?priority=high").key("order-1").json("{}").send();
        Reply none = app.post("/orders").key("order-1").json("{}").send();

        assertExecuted(first, 201);
        assertProblem(other, 422, "key-reused");
        assertProblem(none, 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void queryParametersInAnotherOrderAreTheSameRequest(JettyApp app) throws Exception {
        Reply first = app.post("/orders?a=1&b=2").key("order-1").json("{}").send();
        Reply retry = app.post("/orders?b=2&a=1").key("order-1").json("{}").send();

        assertExecuted(first, 201);
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void sameKeyWithAnotherCoveredMethodIsRefusedAsKeyReuse(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{}").send();
        Reply other = app.request("PATCH", "/orders").key("order-1").json("{}").send();

        assertExecuted(first, 201);
        assertProblem(other, 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void keyReuseDoesNotDisturbTheStoredOutcome(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();
        Reply other = app.post("/orders").key("order-1").json("{\"item\":\"lamp\"}").send();
        Reply retry = app.post("/orders").key("order-1").json("{\"item\":\"book\"}").send();

        assertProblem(other, 422, "key-reused");
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void differentKeysRunTheHandlerEachTime(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").json("{}").send();
        Reply second = app.post("/orders").key("order-2").json("{}").send();

        assertExecuted(first, 201);
        assertExecuted(second, 201);
        assertEquals("/orders/2", second.header("Location"));
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void retryAfterTheKeyExpiredRunsAsANewRequest() throws Exception {
        MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        IdempotencyConfig config = IdempotencyConfig.custom().clock(clock).keyTtl(Duration.ofHours(1)).build();
        try (JettyApp app = JettyApp.builder().config(config).start()) {
            Reply first = app.post("/orders").key("order-1").json("{}").send();
            clock.advance(Duration.ofMinutes(59));
            Reply withinTtl = app.post("/orders").key("order-1").json("{}").send();
            clock.advance(Duration.ofMinutes(1));
            Reply expired = app.post("/orders").key("order-1").json("{\"another\":\"body\"}").send();
            Reply replayOfNew = app.post("/orders").key("order-1").json("{\"another\":\"body\"}").send();

            assertReplayOf(first, withinTtl);
            assertExecuted(expired, 201);
            assertEquals(2, expired.jsonNumber("invocation"), "an expired key is a new key, whatever the body");
            assertReplayOf(expired, replayOfNew);
            assertEquals(2, app.orderInvocations());
        }
    }
}
