package dev.idempotency.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyHeaderTest {

    @Test
    void structuredValuesRoundTripEveryVisibleAsciiCharacter() {
        StringBuilder all = new StringBuilder();
        for (char c = 0x21; c <= 0x7e; c++) {
            all.append(c);
        }
        String key = all.toString();
        String value = KeyHeader.value(key, true);
        assertTrue(value.startsWith("\"") && value.endsWith("\""));
        assertEquals(key, KeyHeader.key(value));
        assertEquals("plain", KeyHeader.key(KeyHeader.value("plain", false)));
    }

    @Test
    void invalidKeysAreRefusedSayingWhy() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KeyHeader.requireValid(""))
                .getMessage().contains("empty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KeyHeader.requireValid("a".repeat(256)))
                .getMessage().contains("256"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KeyHeader.requireValid("caf\u00e9"))
                .getMessage().contains("U+00E9"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KeyHeader.requireValid("a b"))
                .getMessage().contains("U+0020"));
        assertEquals("a".repeat(255), KeyHeader.requireValid("a".repeat(255)));
    }
}
