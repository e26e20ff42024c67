package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the {@code Idempotency-Key} parser with any field value a client can send. A servlet container
 * hands header values over as ISO-8859-1 text, one character per byte, so the input bytes are read that way.
 */
class IdempotencyKeyFuzzTest {

    @FuzzTest
    void parseHeaderRefusesOnlyWithInvalidKeyAndAcceptsOnlyVisibleAscii(byte[] data) {
        String fieldValue = new String(data, StandardCharsets.ISO_8859_1);
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parseHeader(fieldValue);
        } catch (InvalidIdempotencyKeyException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), "a refusal says why");
            return;
        }
        String value = key.value();
        assertTrue(value.length() >= 1 && value.length() <= IdempotencyKey.MAX_LENGTH, value);
        assertTrue(value.chars().allMatch(c -> c >= 0x21 && c <= 0x7E), value);
        assertEquals(key, IdempotencyKey.of(value));
        // The bare and the sf-string forms of one key parse to the same key.
        assertEquals(key, IdempotencyKey.parseHeader(value.startsWith("\"") ? quote(value) : value));
        assertEquals(key, IdempotencyKey.parseHeader(" \t" + quote(value) + "\t "));
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
