package dev.idempotency.jdbc.outbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Messages are validated, immutable, and compared by content; publisher results are validated. */
class OutboxMessageTest {

    @Test
    void ofGivesARandomIdAndTheCurrentTimeAndAllowsNoKey() {
        OutboxMessage a = OutboxMessage.of("https://x.example", null, new byte[0], List.of());
        OutboxMessage b = OutboxMessage.of("https://x.example", null, new byte[0], List.of());
        assertNotEquals(a.id(), b.id());
        assertNull(a.key());
        assertFalse(a.createdAt().isAfter(Instant.now()));
    }

    @Test
    void thePayloadAndHeadersCannotBeChangedAfterwards() {
        byte[] payload = {1, 2, 3};
        List<Header> headers = new ArrayList<>(List.of(new Header("A", "1")));
        OutboxMessage message = OutboxMessage.of("d", "k", payload, headers);
        payload[0] = 9;
        headers.add(new Header("B", "2"));
        message.payload()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, message.payload());
        assertEquals(List.of(new Header("A", "1")), message.headers());
        assertEquals(3, message.payloadLength());
    }

    @Test
    void messagesAreEqualByContentAndPrintWithoutTheirPayload() {
        Instant at = Instant.parse("2030-01-01T00:00:00.123456789Z");
        OutboxMessage a = new OutboxMessage("id", "d", "k", "secret".getBytes(), List.of(), at);
        OutboxMessage b = new OutboxMessage("id", "d", "k", "secret".getBytes(), List.of(), at);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(Instant.parse("2030-01-01T00:00:00.123456Z"), a.createdAt(), "kept to the microsecond");
        assertFalse(a.toString().contains("secret"));
        assertTrue(a.toString().contains("6 bytes"));
    }

    @Test
    void invalidMessagesAreRefused() {
        Instant now = Instant.now();
        assertThrows(IllegalArgumentException.class, () -> new OutboxMessage("", "d", null, new byte[0], List.of(), now));
        assertThrows(IllegalArgumentException.class,
                () -> new OutboxMessage("x".repeat(256), "d", null, new byte[0], List.of(), now));
        assertThrows(IllegalArgumentException.class, () -> OutboxMessage.of("", null, new byte[0], List.of()));
        assertThrows(IllegalArgumentException.class, () -> OutboxMessage.of("d", "k".repeat(256), new byte[0], List.of()));
        assertThrows(NullPointerException.class, () -> OutboxMessage.of("d", null, null, List.of()));
        assertThrows(NullPointerException.class, () -> OutboxMessage.of("d", null, new byte[0], null));
    }

    @Test
    void publishResultsAreValidated() {
        assertEquals(new PublishResult.Retry(Optional.of(Duration.ofSeconds(3)), "429"),
                PublishResult.retryAfter(Duration.ofSeconds(3), "429"));
        assertEquals(new PublishResult.Retry(Optional.empty(), "503"), PublishResult.retry("503"));
        assertThrows(IllegalArgumentException.class, () -> PublishResult.retryAfter(Duration.ofSeconds(-1), "x"));
        assertThrows(NullPointerException.class, () -> PublishResult.rejected(null));
        assertEquals(new PublishResult.Delivered(), PublishResult.delivered());
    }
}
