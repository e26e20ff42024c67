package dev.idempotency.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/** Assertions on what a client received. */
final class ReplyAssertions {

    /** Headers of the first response that a replay carries again by default. */
    static final List<String> REPLAYED_BY_DEFAULT = List.of("Content-Type", "Location", "ETag", "Link");

    private ReplyAssertions() {
    }

    /** An RFC 9457 problem of this status and type (without the {@code urn:idempotency:problem:} prefix). */
    static void assertProblem(Reply reply, int status, String type) {
        assertEquals(status, reply.status(), reply::toString);
        assertEquals("application/problem+json", reply.header("Content-Type"), reply::toString);
        assertEquals(type, reply.problemType(), reply::toString);
        assertEquals(status, reply.jsonNumber("status"), reply::toString);
        String detail = reply.jsonString("detail");
        assertNotNull(detail, reply::toString);
        assertFalse(detail.isBlank(), reply::toString);
        assertNotNull(reply.jsonString("title"), reply::toString);
        assertEquals("no-store", reply.header("Cache-Control"), reply::toString);
        assertFalse(reply.hasHeader("Idempotent-Replayed"), reply::toString);
        assertFalse(reply.hasHeader("Set-Cookie"), "a refusal must not leak the handler's cookies: " + reply);
        assertFalse(reply.hasHeader("X-Custom"), "a refusal must not leak the handler's headers: " + reply);
    }

    /** A response the handler produced just now: no replay marker. */
    static void assertExecuted(Reply reply, int status) {
        assertEquals(status, reply.status(), reply::toString);
        assertNull(reply.header("Idempotent-Replayed"), reply::toString);
    }

    /**
     * {@code replay} is {@code original} replayed: same status, same body bytes, the default-replayed
     * headers with the same values, {@code Idempotent-Replayed: true}, and no cookie or unlisted header.
     */
    static void assertReplayOf(Reply original, Reply replay) {
        assertEquals(original.status(), replay.status(), replay::toString);
        assertArrayEquals(original.body(), replay.body(), () -> "replayed body differs: " + replay);
        assertEquals("true", replay.header("Idempotent-Replayed"), replay::toString);
        assertEquals(List.of("true"), replay.headers("Idempotent-Replayed"), replay::toString);
        for (String name : REPLAYED_BY_DEFAULT) {
            assertEquals(original.headers(name), replay.headers(name), () -> name + " of the replay: " + replay);
        }
        assertFalse(replay.hasHeader("Set-Cookie"), () -> "cookies must never be replayed: " + replay);
        assertFalse(replay.hasHeader("X-Custom"), () -> "X-Custom is not in the replay allow-list: " + replay);
        assertTrue(replay.hasHeader("Content-Length"), replay::toString);
    }
}
