package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How the {@code Idempotency-Key} header is read. Values HttpClient refuses to send (control characters,
 * non-ASCII bytes) go over a raw socket.
 */
class IdempotencyKeyHeaderTest {

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension();

    @Test
    void quotedAndBareFormsNameTheSameKey(JettyApp app) throws Exception {
        Reply quoted = app.post("/orders").key("\"abc\"").json("{\"item\":1}").send();
        Reply bare = app.post("/orders").key("abc").json("{\"item\":1}").send();

        assertExecuted(quoted, 201);
        assertReplayOf(quoted, bare);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void bareAndQuotedFormsNameTheSameKeyInEitherOrder(JettyApp app) throws Exception {
        Reply bare = app.post("/orders").key("8e03978e-40d5-43e8-bc93-6894a57f9324").json("{}").send();
        Reply quoted = app.post("/orders").key("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"").json("{}").send();

        assertExecuted(bare, 201);
        assertReplayOf(bare, quoted);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void escapedQuoteInsideQuotedFormIsPartOfTheKey(JettyApp app) throws Exception {
        Reply escaped = app.post("/orders").key("\"a\\\"b\"").json("{}").send();
        Reply bare = app.post("/orders").key("a\"b").json("{}").send();

        assertExecuted(escaped, 201);
        assertReplayOf(escaped, bare);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void keysDifferingOnlyInCaseAreDifferentKeys(JettyApp app) throws Exception {
        Reply lower = app.post("/orders").key("key-a").json("{}").send();
        Reply upper = app.post("/orders").key("KEY-A").json("{}").send();

        assertExecuted(lower, 201);
        assertExecuted(upper, 201);
        assertEquals(2, app.orderInvocations());
    }

    @Test
    void keyOfMaximumLengthIsAccepted(JettyApp app) throws Exception {
        String key = "k".repeat(255);
        Reply first = app.post("/orders").key(key).json("{}").send();
        Reply retry = app.post("/orders").key(key).json("{}").send();

        assertExecuted(first, 201);
        assertReplayOf(first, retry);
        assertEquals(1, app.orderInvocations());
    }

    @Test
    void keyLongerThan255CharactersIsRefused(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key("k".repeat(256)).json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        assertTrue(reply.jsonString("detail").contains("256"), reply::toString);
        assertTrue(reply.jsonString("detail").contains("255"), reply::toString);
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void emptyKeyIsRefused(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key("").json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        assertTrue(reply.jsonString("detail").contains("empty"), reply::toString);
        assertEquals(0, app.orderInvocations());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"\"", "\"ab\"cd\"", "\"unterminated", "\"bad\\escape\"", "has space", "\"has space\""})
    void malformedKeyIsRefused(String fieldValue, JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key(fieldValue).json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        assertEquals(0, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    @Test
    void keyWithTabInsideIsRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", "ab\tcd").json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        assertTrue(reply.jsonString("detail").contains("0x09"), reply::toString);
        assertEquals(0, app.orderInvocations());
    }

    /** Jetty's parser refuses the request before any filter sees it; the handler never runs. */
    @Test
    void keyWithControlCharacterIsRefusedBeforeTheHandler(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", "ab\u0001cd").json("{}").send();

        assertEquals(400, reply.status(), reply::toString);
        assertEquals(0, app.orderInvocations());
        assertEquals(0, app.recordCount());
    }

    @Test
    void keyWithUtf8BytesIsRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", "ключ-1").json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        assertTrue(reply.jsonString("detail").contains("non-ASCII"), reply::toString);
        assertTrue(reply.jsonString("detail").contains("U+043A") && reply.jsonString("detail").contains("0xD0 0xBA"),
                "names the character the client sent, not the bytes' ISO-8859-1 reading: " + reply);
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void keyWithAUtf8AccentedLetterNamesTheLetterNotItsFirstByte(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", "caf\u00e9-1").json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        String detail = reply.jsonString("detail");
        assertTrue(detail.contains("U+00E9") && detail.contains("0xC3 0xA9") && detail.contains("position 4"), detail);
        assertFalse(detail.contains("U+00C3"), detail);
    }

    @Test
    void keyWithLatin1ByteIsRefused(JettyApp app) throws Exception {
        byte[] value = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        Reply reply = app.raw("POST", "/orders").header("Idempotency-Key", value).json("{}").send();

        assertProblem(reply, 400, "invalid-key");
        assertTrue(reply.jsonString("detail").contains("U+00E9"), reply::toString);
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void twoKeyHeaderLinesAreRefused(JettyApp app) throws Exception {
        Reply reply = app.raw("POST", "/orders")
                .header("Idempotency-Key", "first")
                .header("Idempotency-Key", "second")
                .json("{}")
                .send();

        assertProblem(reply, 400, "multiple-keys");
        assertTrue(reply.jsonString("detail").contains("2"), reply::toString);
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void twoIdenticalKeyHeaderLinesAreRefused(JettyApp app) throws Exception {
        Reply reply = app.post("/orders").key("same").key("same").json("{}").send();

        assertProblem(reply, 400, "multiple-keys");
        assertEquals(0, app.orderInvocations());
    }

    @Test
    void refusedKeyDoesNotReserveAnything(JettyApp app) throws Exception {
        Reply refused = app.post("/orders").key("\"ab\"cd\"").json("{}").send();
        Reply valid = app.post("/orders").key("ab").json("{}").send();

        assertProblem(refused, 400, "invalid-key");
        assertExecuted(valid, 201);
        assertEquals(1, app.orderInvocations());
    }
}
