package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests the protocol does not cover, and covered requests without a key. */
class PassThroughTest {

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension();

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE", "OPTIONS"})
    void uncoveredMethodsPassThroughUntouchedAndRunEveryTime(String method, JettyApp app) throws Exception {
        String body = "{\"item\":\"book\"}";
        Reply first = app.request(method, "/orders").key("same-key").json(body).send();
        Reply second = app.request(method, "/orders").key("same-key").json(body).send();

        assertExecuted(first, 201);
        assertExecuted(second, 201);
        assertEquals(1, first.jsonNumber("invocation"), first::toString);
        assertEquals(2, second.jsonNumber("invocation"), second::toString);
        // The handler read the body itself: the filter did not consume it.
        assertEquals(body, first.jsonString("received"), first::toString);
        assertEquals(body, second.jsonString("received"), second::toString);
        assertEquals("yes", second.header("X-Custom"));
        assertTrue(second.header("Set-Cookie").startsWith("session=s2"), second::toString);
        assertEquals(2, app.orderInvocations());
        assertEquals(0, app.recordCount(), "nothing is stored for uncovered methods");
    }

    @Test
    void uncoveredMethodWithAnInvalidKeyIsNotJudged(JettyApp app) throws Exception {
        Reply reply = app.get("/orders").key("\"unterminated").send();

        assertExecuted(reply, 201);
        assertEquals(1, app.orderInvocations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PATCH"})
    void coveredRequestWithoutKeyIsRefusedWithMissingKeyProblem(String method, JettyApp app) throws Exception {
        Reply reply = app.request(method, "/orders").json("{\"item\":\"book\"}").send();

        assertProblem(reply, 400, "missing-key");
        assertEquals("urn:idempotency:problem:missing-key", reply.jsonString("type"));
        assertTrue(reply.jsonString("detail").contains("Idempotency-Key"), reply::toString);
        assertTrue(reply.jsonString("detail").contains(method), reply::toString);
        assertEquals("/orders", reply.jsonString("instance"));
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void missingKeyIsRefusedEvenWithoutAClientScope(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").noApiKey().json("{}").send();

        assertProblem(reply, 400, "missing-key");
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void coveredRequestWithoutKeyPassesThroughWhenKeysAreOptional() throws Exception {
        try (JettyApp app = optionalKeys()) {
            String body = "{\"item\":\"book\"}";
            Reply first = app.post("/orders").json(body).send();
            Reply second = app.post("/orders").json(body).send();

            assertExecuted(first, 201);
            assertExecuted(second, 201);
            assertEquals(body, second.jsonString("received"), "the handler read the body itself");
            assertEquals(2, second.jsonNumber("invocation"));
            assertEquals(2, app.orderInvocations());
            assertEquals(0, app.recordCount());
        }
    }

    @Test
    void requestWithKeyIsStillProtectedWhenKeysAreOptional() throws Exception {
        try (JettyApp app = optionalKeys()) {
            Reply first = app.post("/orders").key("k-1").json("{}").send();
            Reply retry = app.post("/orders").key("k-1").json("{}").send();

            assertExecuted(first, 201);
            assertReplayOf(first, retry);
            assertEquals(1, app.orderInvocations());
        }
    }

    private static JettyApp optionalKeys() throws Exception {
        return JettyApp.builder().config(IdempotencyConfig.custom().required(false).build()).start();
    }
}
