package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The handler's response is captured in full and nothing reaches the client before the outcome is
 * decided and stored: flushes are held back, oversized responses are refused, and asynchronous
 * processing is refused.
 */
class ResponseCaptureTest {

    private static final int LIMIT = 1024;

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension(
            app -> app.config(IdempotencyConfig.custom().maxResponseBytes(LIMIT).build()));

    @Test
    void responseOverTheLimitIsRefusedAndTheKeyFreed(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("k-1").header("X-Test-Body-Bytes", "5000").json("{}").send();

        assertProblem(first, 500, "response-too-large");
        assertTrue(first.jsonString("detail").contains("1024"), first::toString);
        assertEquals(0, app.recordCount());

        Reply retry = app.post("/orders").key("k-1").header("X-Test-Body-Bytes", "5000").json("{}").send();
        assertProblem(retry, 500, "response-too-large");
        assertEquals(2, app.orderInvocations(), "the retry ran the handler again");

        Reply small = app.post("/orders").key("k-1").json("{}").send();
        assertExecuted(small, 201);
        assertEquals(3, small.jsonNumber("invocation"));
    }

    @Test
    void responseOfExactlyTheLimitIsStoredAndReplayed(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("k-1").header("X-Test-Body-Bytes", Integer.toString(LIMIT))
                .json("{}").send();
        Reply retry = app.post("/orders").key("k-1").header("X-Test-Body-Bytes", Integer.toString(LIMIT))
                .json("{}").send();

        assertExecuted(first, 201);
        assertEquals(LIMIT, first.body().length);
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void responseOverTheLimitOnAnUncoveredRequestIsSentInFull(JettyApp app) throws Exception {
        Reply reply = app.get("/orders").header("X-Test-Body-Bytes", "5000").send();

        assertExecuted(reply, 201);
        assertEquals(5000, reply.body().length);
    }

    /**
     * A handler that calls {@code request.startAsync()} is refused: the filter's request wrapper throws
     * {@link IllegalStateException} (the outcome must be complete, and stored, when the handler
     * returns). The exception leaves the filter, the container answers 500 with its error page, and
     * the key is freed with nothing stored, so a retry runs the handler again. The handler's work up to
     * {@code startAsync()} did happen; with a JDBC store it would be rolled back with the claim.
     */
    @Test
    void handlerStartingAsyncFailsWith500AndNothingIsStored(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("k-1").header("X-Test-Async", "yes").json("{}").send();

        assertEquals(500, first.status(), first::toString);
        assertFalse(first.replayed());
        assertTrue(first.text().contains("startAsync"), "the container's error page names the cause: " + first);
        assertFalse(first.hasHeader("X-Custom"), first::toString);
        assertEquals(0, app.recordCount());

        Reply retry = app.post("/orders").key("k-1").header("X-Test-Async", "yes").json("{}").send();
        assertEquals(500, retry.status(), retry::toString);
        assertEquals(2, app.orderInvocations(), "the retry ran the handler again");
    }

    @Test
    void asyncHandlerStillWorksForUncoveredRequests(JettyApp app) throws Exception {
        Reply reply = app.get("/orders").header("X-Test-Async", "yes").json("{\"a\":1}").send();

        assertExecuted(reply, 201);
        assertEquals("{\"a\":1}", reply.jsonString("received"));
        assertEquals("yes", reply.header("X-Custom"));
    }

    @Test
    void handlerWritingInFlushedChunksSendsOneCompleteResponse(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("k-1").header("X-Test-Chunks", "7").json("{\"item\":\"book\"}").send();
        Reply retry = app.post("/orders").key("k-1").header("X-Test-Chunks", "7").json("{\"item\":\"book\"}").send();

        assertExecuted(first, 201);
        assertEquals("{\"item\":\"book\"}", first.jsonString("received"));
        assertEquals(1, first.jsonNumber("invocation"));
        assertEquals(Integer.toString(first.body().length), first.header("Content-Length"),
                "the complete body is known, so it is sent with its length");
        assertEquals("/orders/1", first.header("Location"));
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    /**
     * "No byte before the outcome is stored": the handler writes part of its body and calls
     * {@code flushBuffer()}, then blocks. A real container would have sent the status line and headers by
     * now; through the filter, the client sees nothing until the handler returned.
     */
    @Test
    void nothingReachesTheClientBeforeTheHandlerReturns(JettyApp app) throws Exception {
        try (RawRequest.Exchange exchange = app.raw("POST", "/orders")
                .header("Idempotency-Key", "k-1")
                .header("X-Test-Chunks", "4")
                .header("X-Test-Gate-After-Flush", "flushed")
                .json("{\"item\":\"book\"}")
                .open()) {
            app.gate("flushed").awaitArrival();

            assertEquals(0, exchange.bytesArrivingWithin(Duration.ofMillis(300)),
                    "no status line, header or body byte may be sent while the handler runs");
            // The outcome is not stored yet: the running request still holds the key, so a retry is refused.
            Reply concurrent = app.post("/orders").key("k-1").json("{\"item\":\"book\"}").send();
            assertProblem(concurrent, 409, "in-progress");

            app.gate("flushed").open();
            Reply reply = exchange.read();

            assertExecuted(reply, 201);
            assertEquals("{\"item\":\"book\"}", reply.jsonString("received"));
            assertEquals(Integer.toString(reply.body().length), reply.header("Content-Length"));
        }
        Reply retry = app.post("/orders").key("k-1").json("{\"item\":\"book\"}").send();
        assertTrue(retry.replayed(), retry::toString);
        assertEquals(1, app.orderInvocations());
    }

    /** For comparison: without the filter (an uncovered method) the same handler's flush is sent at once. */
    @Test
    void uncoveredRequestIsStreamedAsTheHandlerFlushes(JettyApp app) throws Exception {
        try (RawRequest.Exchange exchange = app.raw("GET", "/orders")
                .header("X-Test-Chunks", "4")
                .header("X-Test-Gate-After-Flush", "flushed")
                .open()) {
            app.gate("flushed").awaitArrival();

            assertTrue(exchange.bytesArrivingWithin(Duration.ofSeconds(5)) > 0,
                    "the container sends the flushed part while the handler runs");

            app.gate("flushed").open();
            assertExecuted(exchange.read(), 201);
        }
    }

    @Test
    void handlerThatThrowsAfterWritingAndFlushingLeaksNothingOfItsResponse(JettyApp app) throws Exception {
        Reply failed = app.post("/orders").key("k-1").header("X-Test-Chunks", "3")
                .header("X-Test-Throw", "after-write").json("{}").send();

        assertEquals(500, failed.status(), failed::toString);
        assertFalse(failed.hasHeader("X-Custom"), "the handler's headers were never sent: " + failed);
        assertFalse(failed.hasHeader("Set-Cookie"), failed::toString);
        assertFalse(failed.hasHeader("Location"), failed::toString);
        assertFalse(failed.text().contains("\"invocation\""), "the handler's body was never sent: " + failed);
        assertEquals(0, app.recordCount());

        Reply retry = app.post("/orders").key("k-1").header("X-Test-Chunks", "3").json("{}").send();
        assertExecuted(retry, 201);
        assertEquals(2, retry.jsonNumber("invocation"));
    }

    @Test
    void handlerUsingTheWriterForJsonSendsUtf8LikeTheContainerDoes(JettyApp app) throws Exception {
        String body = "{\"note\":\"gr\u00fc\u00dfe \u2603\"}";
        Reply direct = app.get("/orders").header("X-Test-Writer", "yes").json(body).send();
        Reply captured = app.post("/orders").key("k-1").header("X-Test-Writer", "yes").json(body).send();
        Reply replay = app.post("/orders").key("k-1").header("X-Test-Writer", "yes").json(body).send();

        assertExecuted(direct, 201);
        assertExecuted(captured, 201);
        assertEquals(direct.header("Content-Type"), captured.header("Content-Type"));
        assertEquals(body, captured.jsonString("received"), "JSON is UTF-8: " + captured);
        assertArrayEquals(direct.text().replace("\"GET\"", "\"POST\"").replace("\"invocation\":1", "\"invocation\":2")
                .getBytes(StandardCharsets.UTF_8), captured.body());
        assertReplayOf(captured, replay);
    }

    @Test
    void concurrentRetryWhileTheHandlerHoldsFlushedOutputIsRefused(JettyApp app) throws Exception {
        CompletableFuture<Reply> first = app.post("/orders").key("k-1").header("X-Test-Chunks", "3")
                .header("X-Test-Gate-After-Flush", "flushed").json("{}").sendAsync();
        app.gate("flushed").awaitArrival();

        Reply concurrent = app.post("/orders").key("k-1").json("{}").send();
        app.gate("flushed").open();

        assertProblem(concurrent, 409, "in-progress");
        assertExecuted(first.get(20, TimeUnit.SECONDS), 201);
        assertEquals(1, app.orderInvocations());
    }
}
