package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.StoredStatuses;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which handler outcomes are stored and replayed (2xx and 4xx except 408 and 429, by default) and which
 * free the key so that a retry runs again (5xx, 408, 429, a thrown exception).
 */
class HandlerOutcomeTest {

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension();

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503})
    void serverErrorIsSentAsIsButNotStoredSoRetryRunsAgain(int status, JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-Status", Integer.toString(status)).json("{}")
                .send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-Status", Integer.toString(status)).json("{}")
                .send();

        assertExecuted(first, status);
        assertEquals("application/json", first.header("Content-Type"));
        assertEquals("yes", first.header("X-Custom"), "a response that is not stored is still sent in full");
        assertTrue(first.hasHeader("Set-Cookie"), first::toString);
        assertEquals(1, first.jsonNumber("invocation"));
        assertExecuted(retry, status);
        assertEquals(2, retry.jsonNumber("invocation"), "the retry ran the handler again");
        assertEquals(2, app.orderInvocations());
        assertEquals(0, app.recordCount(), "nothing was stored");
    }

    @Test
    void retryAfterServerErrorCanSucceedAndIsThenStored(JettyApp app) throws Exception {
        Reply failed = app.post("/orders").key("order-1").header("X-Test-Status", "503").json("{}").send();
        Reply succeeded = app.post("/orders").key("order-1").json("{}").send();
        Reply replay = app.post("/orders").key("order-1").json("{}").send();

        assertExecuted(failed, 503);
        assertExecuted(succeeded, 201);
        assertReplayOf(succeeded, replay);
        assertEquals(2, replay.jsonNumber("invocation"));
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void handlerThatThrowsGivesContainer500AndRetryRunsAgain(JettyApp app) throws Exception {
        Reply failed = app.post("/orders").key("order-1").header("X-Test-Throw", "yes").json("{}").send();

        assertEquals(500, failed.status(), failed::toString);
        assertFalse(failed.replayed());
        assertFalse(failed.hasHeader("X-Custom"), "nothing the handler set reaches the client");
        assertFalse(failed.hasHeader("Set-Cookie"), failed::toString);
        assertEquals(0, app.recordCount(), "nothing was stored");

        Reply retry = app.post("/orders").key("order-1").header("X-Test-Throw", "yes").json("{}").send();
        assertEquals(500, retry.status(), retry::toString);
        assertEquals(2, app.orderInvocations());

        Reply succeeded = app.post("/orders").key("order-1").json("{}").send();
        assertExecuted(succeeded, 201);
        assertEquals(3, succeeded.jsonNumber("invocation"));
        assertEquals(3, app.orderInvocations());
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429})
    void tryAgainLaterStatusesAreNotStored(int status, JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-Status", Integer.toString(status)).json("{}")
                .send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-Status", Integer.toString(status)).json("{}")
                .send();

        assertExecuted(first, status);
        assertExecuted(retry, status);
        assertEquals(2, retry.jsonNumber("invocation"));
        assertEquals(2, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 202, 400, 404, 409, 422})
    void successesAndClientErrorsAreStoredAndReplayed(int status, JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-Status", Integer.toString(status)).json("{}")
                .send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-Status", Integer.toString(status)).json("{}")
                .send();

        assertExecuted(first, status);
        assertReplayOf(first, retry);
        assertEquals(1, retry.jsonNumber("invocation"));
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void configuredStoredStatusesDecideWhatIsReplayed() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.custom().storedStatuses(StoredStatuses.parse("2xx,5xx,!503"))
                .build();
        try (JettyApp app = JettyApp.builder().config(config).start()) {
            Reply serverError = app.post("/orders").key("a").header("X-Test-Status", "500").json("{}").send();
            Reply serverErrorRetry = app.post("/orders").key("a").header("X-Test-Status", "500").json("{}").send();
            Reply notFound = app.post("/orders").key("b").header("X-Test-Status", "404").json("{}").send();
            Reply notFoundRetry = app.post("/orders").key("b").header("X-Test-Status", "404").json("{}").send();
            Reply unavailable = app.post("/orders").key("c").header("X-Test-Status", "503").json("{}").send();
            Reply unavailableRetry = app.post("/orders").key("c").header("X-Test-Status", "503").json("{}").send();

            assertReplayOf(serverError, serverErrorRetry);
            assertExecuted(notFoundRetry, 404);
            assertEquals(notFound.jsonNumber("invocation") + 1, notFoundRetry.jsonNumber("invocation"));
            assertExecuted(unavailableRetry, 503);
            assertEquals(unavailable.jsonNumber("invocation") + 1, unavailableRetry.jsonNumber("invocation"));
            assertEquals(5, app.orderInvocations());
        }
    }

    @Test
    void sendErrorWithMessageIsSentAsPlainTextAndReplayedIdentically(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-SendError", "404 nope").json("{}").send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-SendError", "404 nope").json("{}").send();

        assertExecuted(first, 404);
        assertEquals("nope", first.text());
        assertEquals("text/plain;charset=utf-8", first.header("Content-Type").toLowerCase(Locale.ROOT));
        assertReplayOf(first, retry);
        assertEquals("nope", retry.text());
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void sendErrorWithoutMessageHasAnEmptyBodyAndIsReplayed(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-SendError", "409").json("{}").send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-SendError", "409").json("{}").send();

        assertExecuted(first, 409);
        assertEquals(0, first.body().length, first::toString);
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void sendErrorWithServerErrorStatusIsNotStored(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-SendError", "503 busy").json("{}").send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-SendError", "503 busy").json("{}").send();

        assertExecuted(first, 503);
        assertEquals("busy", first.text());
        assertExecuted(retry, 503);
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void redirectIsStoredAndReplayedWhenRedirectsAreStored() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.custom()
                .storedStatuses(StoredStatuses.parse("2xx,3xx,4xx,!408,!429")).build();
        try (JettyApp app = JettyApp.builder().config(config).start()) {
            Reply first = app.post("/orders").key("order-1").header("X-Test-Redirect", "/x").json("{}").send();
            Reply retry = app.post("/orders").key("order-1").header("X-Test-Redirect", "/x").json("{}").send();

            assertExecuted(first, 302);
            assertEquals("/x", first.header("Location"));
            assertReplayOf(first, retry);
            assertEquals("/x", retry.header("Location"));
            assertArrayEquals(new byte[0], retry.body());
            assertEquals(1, app.orderInvocations());
        }
    }

    @Test
    void noContentIsStoredAndReplayedWithoutABody(JettyApp app) throws Exception {
        Reply first = app.post("/orders").key("order-1").header("X-Test-Status", "204").json("{}").send();
        Reply retry = app.post("/orders").key("order-1").header("X-Test-Status", "204").json("{}").send();

        assertExecuted(first, 204);
        assertEquals(0, first.body().length);
        assertEquals(204, retry.status());
        assertTrue(retry.replayed(), retry::toString);
        assertEquals(0, retry.body().length);
        assertEquals("/orders/1", retry.header("Location"));
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void forwardInsideTheHandlerIsCapturedAndReplayed(JettyApp app) throws Exception {
        Reply direct = app.get("/dispatch/forward").json("{\"a\":1}").send();
        Reply first = app.post("/dispatch/forward").key("order-1").json("{\"a\":1}").send();
        Reply retry = app.post("/dispatch/forward").key("order-1").json("{\"a\":1}").send();

        assertExecuted(direct, 201);
        assertExecuted(first, 201);
        assertEquals("{\"a\":1}", first.jsonString("received"), "the forwarded-to servlet read the body");
        assertEquals("/orders/2", first.header("Location"));
        assertEquals("yes", first.header("X-Custom"));
        assertReplayOf(first, retry);
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void includeInsideTheHandlerIsCapturedAndReplayed(JettyApp app) throws Exception {
        Reply direct = app.get("/dispatch/include").json("{\"a\":1}").send();
        Reply first = app.post("/dispatch/include").key("order-1").json("{\"a\":1}").send();
        Reply retry = app.post("/dispatch/include").key("order-1").json("{\"a\":1}").send();

        assertExecuted(first, 201);
        assertEquals(direct.header("Content-Type"), first.header("Content-Type"));
        assertEquals(direct.hasHeader("Location"), first.hasHeader("Location"),
                "an included servlet's headers are handled as the container handles them");
        assertEquals("before|{\"invocation\":2,\"method\":\"POST\",\"received\":\"{\\\"a\\\":1}\"}|after",
                first.text());
        assertReplayOf(first, retry);
        assertEquals(2, app.orderInvocations());
    }
}
