package dev.idempotency;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Header, StoredResponse, HandlerResponse, Outcome and the exceptions adapters rely on. */
class ValueTypesTest {

    @Test
    void headerNamesCompareCaseInsensitively() {
        Header header = new Header("Content-Type", "text/plain");
        assertTrue(header.hasName("content-type"));
        assertTrue(header.hasName("CONTENT-TYPE"));
        assertFalse(header.hasName("Content-Length"));
        assertThrows(NullPointerException.class, () -> new Header(null, "x"));
        assertThrows(NullPointerException.class, () -> new Header("x", null));
    }

    @Test
    void storedResponseCopiesItsBodyInAndOut() {
        byte[] body = "hello".getBytes(UTF_8);
        StoredResponse stored = StoredResponse.of(200, List.of(), body);
        body[0] = 'J';
        assertArrayEquals("hello".getBytes(UTF_8), stored.body());
        stored.body()[0] = 'J';
        assertArrayEquals("hello".getBytes(UTF_8), stored.body());
        assertEquals(5, stored.bodyLength());
    }

    @Test
    void storedResponseCopiesItsHeaders() {
        List<Header> headers = new ArrayList<>(List.of(new Header("A", "1")));
        StoredResponse stored = StoredResponse.of(200, headers, new byte[0]);
        headers.add(new Header("B", "2"));
        assertEquals(List.of(new Header("A", "1")), stored.headers());
        assertThrows(UnsupportedOperationException.class, () -> stored.headers().add(new Header("C", "3")));
    }

    @Test
    void storedResponseRefusesStatusesOutside100To599() {
        assertThrows(IllegalArgumentException.class, () -> StoredResponse.of(99, List.of(), new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> StoredResponse.of(600, List.of(), new byte[0]));
        assertEquals(100, StoredResponse.of(100, List.of(), new byte[0]).status());
        assertEquals(599, StoredResponse.of(599, List.of(), new byte[0]).status());
        assertThrows(NullPointerException.class, () -> StoredResponse.of(200, null, new byte[0]));
        assertThrows(NullPointerException.class, () -> StoredResponse.of(200, List.of(), null));
    }

    @Test
    void storedResponseHeaderLookupReturnsTheFirstValueIgnoringCase() {
        StoredResponse stored = StoredResponse.of(201,
                List.of(new Header("Link", "<a>"), new Header("link", "<b>")), new byte[0]);
        assertEquals("<a>", stored.header("LINK"));
        assertNull(stored.header("Location"));
    }

    @Test
    void storedResponsesWithEqualPartsAreEqual() {
        StoredResponse a = StoredResponse.of(201, List.of(new Header("A", "1")), "x".getBytes(UTF_8));
        StoredResponse b = StoredResponse.of(201, List.of(new Header("A", "1")), "x".getBytes(UTF_8));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, StoredResponse.of(201, List.of(new Header("A", "1")), "y".getBytes(UTF_8)));
        assertNotEquals(a, StoredResponse.of(200, List.of(new Header("A", "1")), "x".getBytes(UTF_8)));
        assertNotEquals(a, StoredResponse.of(201, List.of(new Header("A", "2")), "x".getBytes(UTF_8)));
        assertFalse(a.toString().contains("x\""), "toString shows the length, not the body");
        assertTrue(a.toString().contains("1 bytes"), a.toString());
    }

    @Test
    void handlerResponseKeepsEveryHeaderAndMarksTruncation() {
        List<Header> headers = List.of(new Header("Set-Cookie", "s=1"));
        HandlerResponse complete = HandlerResponse.of(200, headers, "abc".getBytes(UTF_8));
        HandlerResponse truncated = HandlerResponse.truncated(200, headers);

        assertFalse(complete.truncated());
        assertEquals(headers, complete.headers());
        assertTrue(truncated.truncated());
        assertEquals(0, truncated.body().length);
        assertEquals(headers, truncated.headers());
        assertThrows(NullPointerException.class, () -> HandlerResponse.of(200, headers, null));
    }

    @Test
    void outcomesRefuseNulls() {
        assertThrows(NullPointerException.class, () -> new Outcome.Executed(null, true));
        assertThrows(NullPointerException.class, () -> new Outcome.Replayed(null));
        assertThrows(NullPointerException.class, () -> new Outcome.Rejected(null));
    }

    @Test
    void bodyTooLargeMessageSaysTheSizesItKnows() {
        RequestBodyTooLargeException declared = new RequestBodyTooLargeException(100, 250);
        assertEquals(100, declared.limit());
        assertEquals(250, declared.declaredLength());
        assertTrue(declared.getMessage().contains("250") && declared.getMessage().contains("100"));

        RequestBodyTooLargeException streamed = new RequestBodyTooLargeException(100, -1);
        assertEquals(-1, streamed.declaredLength());
        assertFalse(streamed.getMessage().contains("-1"), streamed.getMessage());
        assertTrue(streamed.getMessage().contains("100"));
    }

    @Test
    void expectedRejectionsSkipTheStackTrace() {
        assertEquals(0, new RequestBodyTooLargeException(1, 2).getStackTrace().length);
        assertEquals(0, new MalformedRequestBodyException("x").getStackTrace().length);
        InvalidIdempotencyKeyException invalid = org.junit.jupiter.api.Assertions.assertThrows(
                InvalidIdempotencyKeyException.class, () -> IdempotencyKey.of(""));
        assertEquals(0, invalid.getStackTrace().length);
    }
}
