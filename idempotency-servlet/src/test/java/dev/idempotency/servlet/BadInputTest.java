package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every kind of bad input in one place, each sent to a fresh app: it gets a clear 4xx, the handler does
 * not run, nothing is stored, and a good request with the same key afterwards runs normally (the bad one
 * reserved nothing). Inputs that Jetty itself refuses before any filter runs (a control character, a
 * header over its 8 KiB limit) get Jetty's own 4xx, which is said where it applies.
 */
class BadInputTest {

    private static final int LIMIT = 1024;

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension(
            app -> app.config(IdempotencyConfig.custom().maxRequestBytes(LIMIT).build()));

    /** Refused with a problem of the library, and nothing happened. */
    private static void assertRefused(JettyApp app, Reply reply, int status, String type) throws Exception {
        assertProblem(reply, status, type);
        assertNothingHappened(app);
    }

    private static void assertNothingHappened(JettyApp app) throws Exception {
        assertEquals(0, app.orderInvocations(), "the handler must not run");
        assertEquals(0, app.recordCount(), "nothing may be stored");
        Reply good = app.post("/orders").key("good-key").json("{\"item\":1}").send();
        assertExecuted(good, 201);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void keyOfZeroCharactersIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.raw("POST", "/orders").header("Idempotency-Key", "").json("{}").send(), 400,
                "invalid-key");
    }

    @Test
    void keyOf255CharactersIsAcceptedAnd256IsRefused(JettyApp app) throws Exception {
        assertExecuted(app.post("/orders").key("k".repeat(255)).json("{}").send(), 201);
        Reply tooLong = app.post("/orders").key("k".repeat(256)).json("{}").send();
        assertProblem(tooLong, 400, "invalid-key");
        assertTrue(tooLong.jsonString("detail").contains("255"), tooLong::toString);
        assertEquals(1, app.orderInvocations(), "only the 255-character key ran");
    }

    /** 10,000 characters are over Jetty's 8 KiB header limit: Jetty answers 431 before the filter. */
    @Test
    void keyOf10000CharactersIsRefusedByTheContainer(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", "k".repeat(10_000)).json("{}").send();
        assertEquals(431, reply.status(), reply::toString);
        assertNothingHappened(app);
    }

    @Test
    void keyWithAControlCharacterIsRefused(JettyApp app) throws Exception {
        Reply tab = app.raw("POST", "/orders").header("Idempotency-Key", "a\tb").json("{}").send();
        assertRefused(app, tab, 400, "invalid-key");
    }

    /** Other control characters are not valid in an HTTP field value at all: Jetty refuses them with 400. */
    @Test
    void keyWithAControlCharacterJettyRejectsIsRefusedBeforeTheFilter(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", new byte[] {'a', 0x01, 'b'})
                .json("{}").send();
        assertEquals(400, reply.status(), reply::toString);
        assertNothingHappened(app);
    }

    @Test
    void nonAsciiKeyIsRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key",
                "schlüssel".getBytes(StandardCharsets.UTF_8)).json("{}").send();
        assertRefused(app, reply, 400, "invalid-key");
    }

    @Test
    void quoteInsideTheQuotedFormIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("\"a\"b\"").json("{}").send(), 400, "invalid-key");
    }

    @Test
    void keyWithStructuredFieldParametersIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("\"k\";p=1").json("{}").send(), 400, "invalid-key");
    }

    @Test
    void twoKeyHeadersAreRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", "k-1").header("Idempotency-Key", "k-1")
                .json("{}").send();
        assertRefused(app, reply, 400, "multiple-keys");
    }

    @Test
    void bodyOverTheLimitWithContentLengthIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("k-1").body("application/json", jsonOfSize(LIMIT + 1)).send(),
                413, "body-too-large");
    }

    @Test
    void chunkedBodyOverTheLimitIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("k-1").chunked("application/json", jsonOfSize(LIMIT * 4)).send(),
                413, "body-too-large");
    }

    @Test
    void malformedJsonIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("k-1").json("{\"item\": ").send(), 400, "malformed-body");
    }

    @Test
    void chunkedMalformedJsonIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("k-1").chunked("application/json",
                "[1, 2,".getBytes(StandardCharsets.UTF_8)).send(), 400, "malformed-body");
    }

    /** A body declared as JSON that is a form: the declaration is believed, and the body does not parse. */
    @Test
    void contentTypeThatLiesIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("k-1").body("application/json",
                "item=1&qty=2".getBytes(StandardCharsets.UTF_8)).send(), 400, "malformed-body");
    }

    @Test
    void requestWithoutItsClientIsRefused(JettyApp app) throws Exception {
        assertRefused(app, app.post("/orders").key("k-1").apiKey(null).json("{}").send(), 400, "scope-unresolved");
    }

    @Test
    void requestWithTwoClientsIsRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header(JettyApp.API_KEY_HEADER, "client-b")
                .header("Idempotency-Key", "k-1").json("{}").send();
        assertRefused(app, reply, 400, "scope-unresolved");
    }

    private static byte[] jsonOfSize(int size) {
        byte[] bytes = new byte[size];
        Arrays.fill(bytes, (byte) ' ');
        bytes[0] = '[';
        bytes[size - 1] = ']';
        return bytes;
    }
}
