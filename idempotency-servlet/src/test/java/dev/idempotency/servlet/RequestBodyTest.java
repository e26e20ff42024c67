package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The filter reads the body to fingerprint it, refuses bodies over the limit and malformed JSON before
 * the handler runs, and hands the handler the same bytes again, by stream, reader or form parameters.
 */
class RequestBodyTest {

    private static final int LIMIT = 1024;

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension(
            app -> app.config(IdempotencyConfig.custom().maxRequestBytes(LIMIT).build()));

    @Test
    void bodyOverTheLimitWithContentLengthIsRefusedWith413(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key("k-1").body("application/octet-stream", filler(LIMIT + 1)).send();

        assertProblem(reply, 413, "body-too-large");
        assertTrue(reply.jsonString("detail").contains("1024"), reply::toString);
        assertTrue(reply.jsonString("detail").contains("idempotency.max-request-bytes"), reply::toString);
        assertEquals(0, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    @Test
    void chunkedBodyOverTheLimitIsRefusedWith413(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key("k-1").chunked("application/octet-stream", filler(5000)).send();

        assertProblem(reply, 413, "body-too-large");
        assertEquals(0, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    /**
     * A client that announces its body with {@code Expect: 100-continue} is refused before it sends the
     * body: the filter judges the declared length without reading, so the container never sends 100.
     */
    @Test
    void bodyOverTheLimitAnnouncedWithExpectContinueIsRefusedBeforeItIsSent(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders")
                .header("Idempotency-Key", "k-1")
                .header("Content-Type", "application/octet-stream")
                .header("Expect", "100-continue")
                .header("Content-Length", "5000")
                .send();

        assertProblem(reply, 413, "body-too-large");
        assertTrue(reply.jsonString("detail").contains("5000"), reply::toString);
        assertEquals(0, app.orderInvocations());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void bodyOfExactlyTheLimitIsAccepted(boolean chunked, JettyApp app) throws Exception {
        byte[] body = filler(LIMIT);
        Call call = app.post("/orders").key("k-1");
        Reply reply = (chunked ? call.chunked("text/plain", body) : call.body("text/plain", body)).send();

        assertExecuted(reply, 201);
        assertEquals(new String(body, StandardCharsets.US_ASCII), reply.jsonString("received"));
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void chunkedBodyReachesTheHandlerInFullAndIsReplayed(JettyApp app) throws Exception {
        byte[] body = "{\"item\":\"book\",\"qty\":3}".getBytes(StandardCharsets.UTF_8);
        Reply first = app.post("/orders").key("k-1").chunked("application/json", body).send();
        Reply retry = app.post("/orders").key("k-1").json("{\"qty\":3,\"item\":\"book\"}").send();

        assertExecuted(first, 201);
        assertEquals("{\"item\":\"book\",\"qty\":3}", first.jsonString("received"));
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"item\":", "{\"item\" \"book\"}", "not json", "{} {}", "  "})
    void malformedJsonIsRefusedBeforeTheHandlerRuns(String body, JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key("k-1").json(body).send();

        assertProblem(reply, 400, "malformed-body");
        assertTrue(reply.jsonString("detail").contains("JSON"), reply::toString);
        assertEquals(0, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    @Test
    void emptyBodyDeclaredAsJsonCountsAsNoBody(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("k-1").json("").send();
        Reply retry = app.post("/orders").key("k-1").send();

        assertExecuted(first, 201);
        assertEquals("", first.jsonString("received"));
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    /**
     * A gzip-encoded body declared as JSON is not parsed (its bytes are compressed): the handler gets it,
     * and decides; a retry with the same bytes and coding is a replay, another coding is another request.
     */
    @Test
    void encodedJsonBodyIsNotParsedAndItsCodingCounts(JettyApp app) throws Exception {
        java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(compressed)) {
            gzip.write("{\"item\":\"book\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        byte[] body = compressed.toByteArray();
        Reply first = app.post("/orders").key("k-1").header("Content-Encoding", "gzip")
                .body("application/json", body).send();
        Reply retry = app.post("/orders").key("k-1").header("Content-Encoding", "gzip")
                .body("application/json", body).send();
        Reply otherCoding = app.post("/orders").key("k-1").header("Content-Encoding", "deflate")
                .body("application/json", body).send();

        assertExecuted(first, 201);
        assertReplayOf(first, retry);
        assertProblem(otherCoding, 422, "key-reused");
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void malformedBodyDoesNotReserveTheKey(JettyApp app) throws Exception {
        Reply malformed = app.post("/orders").key("k-1").json("{oops").send();
        Reply valid = app.post("/orders").key("k-1").json("{}").send();

        assertProblem(malformed, 400, "malformed-body");
        assertExecuted(valid, 201);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void handlerReadingWithInputStreamSeesTheFullBody(JettyApp app) throws Exception {
        String body = "{\"note\":\"gr\u00fc\u00dfe \u2603\",\"n\":[1,2,3]}";
        Reply reply = app.post("/orders").key("k-1").header("X-Test-Read", "stream").json(body).send();

        assertExecuted(reply, 201);
        assertEquals(body, reply.jsonString("received"));
    }

    @Test
    void handlerReadingWithReaderSeesTheFullBodyDecodedAsUtf8Json(JettyApp app) throws Exception {
        String body = "{\"note\":\"gr\u00fc\u00dfe \u2603\",\"n\":[1,2,3]}";
        Reply reply = app.post("/orders").key("k-1").header("X-Test-Read", "reader").json(body).send();

        assertExecuted(reply, 201);
        assertEquals(body, reply.jsonString("received"));
    }

    @Test
    void handlerReadingWithReaderUsesTheDeclaredCharset(JettyApp app) throws Exception {
        byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        Reply reply = app.post("/orders").key("k-1").header("X-Test-Read", "reader")
                .body("text/plain; charset=ISO-8859-1", latin1).send();

        assertExecuted(reply, 201);
        assertEquals("caf\u00e9", reply.jsonString("received"));
    }

    @Test
    void formParametersAreAvailableAfterTheFilterReadTheBody(JettyApp app) throws Exception {
        byte[] form = "name=J%C3%BCrgen+M&qty=2&tag=a&tag=b".getBytes(StandardCharsets.US_ASCII);
        Reply reply = app.post("/forms/order?source=web").key("k-1")
                .body("application/x-www-form-urlencoded", form).send();

        assertExecuted(reply, 201);
        assertEquals("J\u00fcrgen M", reply.jsonString("name"));
        assertEquals("2", reply.jsonString("qty"));
        assertEquals("a|b", reply.jsonString("tags"));
        assertEquals("name,qty,source,tag", reply.jsonString("names"), "query and body parameters together");
        assertEquals(1, app.formInvocations());
    }

    @Test
    void formPostIsReplayedAndAnotherFormIsKeyReuse(JettyApp app) throws Exception {
        byte[] form = "name=Ann&qty=2".getBytes(StandardCharsets.US_ASCII);
        Reply first = app.post("/forms/order").key("k-1").body("application/x-www-form-urlencoded", form).send();
        Reply retry = app.post("/forms/order").key("k-1").body("application/x-www-form-urlencoded", form).send();
        Reply other = app.post("/forms/order").key("k-1")
                .body("application/x-www-form-urlencoded", "name=Ann&qty=3".getBytes(StandardCharsets.US_ASCII))
                .send();

        assertExecuted(first, 201);
        assertEquals(201, retry.status());
        assertTrue(retry.replayed());
        assertEquals(first.text(), retry.text());
        assertProblem(other, 422, "key-reused");
        assertEquals(1, app.formInvocations());
    }

    @Test
    void formConsumedByAnEarlierFilterIsFingerprintedByItsParameters(JettyApp app) throws Exception {
        byte[] form = "name=Ann&qty=2".getBytes(StandardCharsets.US_ASCII);
        Reply first = app.post("/forms/order").key("k-1").header("X-Test-Parse-Parameters", "true")
                .body("application/x-www-form-urlencoded", form).send();
        Reply retry = app.post("/forms/order").key("k-1").header("X-Test-Parse-Parameters", "true")
                .body("application/x-www-form-urlencoded", form).send();
        Reply other = app.post("/forms/order").key("k-1").header("X-Test-Parse-Parameters", "true")
                .body("application/x-www-form-urlencoded", "name=Ann&qty=3".getBytes(StandardCharsets.US_ASCII))
                .send();

        assertExecuted(first, 201);
        assertEquals("Ann", first.jsonString("name"), "the handler still sees the parameters");
        assertTrue(retry.replayed());
        assertProblem(other, 422, "key-reused");
        assertEquals(1, app.formInvocations());
    }

    @Test
    void formParametersStillWorkForUncoveredRequests(JettyApp app) throws Exception {
        byte[] form = "name=Ann&qty=2".getBytes(StandardCharsets.US_ASCII);
        Reply reply = app.request("PUT", "/forms/order").body("application/x-www-form-urlencoded", form).send();

        assertExecuted(reply, 201);
        assertEquals("Ann", reply.jsonString("name"));
        assertEquals("2", reply.jsonString("qty"));
    }

    private static byte[] filler(int size) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) 'a');
        return bytes;
    }
}
