package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdempotencyKeyTest {

    private static final String UUID = "8e03978e-40d5-43e8-bc93-6894a57f9324";

    private static InvalidIdempotencyKeyException rejects(String fieldValue) {
        return assertThrows(InvalidIdempotencyKeyException.class, () -> IdempotencyKey.parseHeader(fieldValue),
                () -> "expected the field value to be rejected: " + escapeForDisplay(fieldValue));
    }

    private static String escapeForDisplay(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7E) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.length() > 80 ? b.substring(0, 80) + "..." : b.toString();
    }

    private static void assertNoControlCharacters(String message) {
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            assertFalse(c < 0x20 || c == 0x7F, "message contains raw control character 0x"
                    + Integer.toHexString(c) + ": " + escapeForDisplay(message));
        }
    }

    @Test
    void quotedStructuredFieldStringAndBareFormNameTheSameKey() {
        IdempotencyKey quoted = IdempotencyKey.parseHeader("\"" + UUID + "\"");
        IdempotencyKey bare = IdempotencyKey.parseHeader(UUID);

        assertEquals(UUID, quoted.value());
        assertEquals(UUID, bare.value());
        assertEquals(bare, quoted);
        assertEquals(bare.hashCode(), quoted.hashCode());
    }

    @Test
    void acceptsQuotedStructuredFieldString() {
        assertEquals("abc", IdempotencyKey.parseHeader("\"abc\"").value());
    }

    @Test
    void ofTakesTheValueLiterallyWithoutUnquoting() {
        assertEquals("\"abc\"", IdempotencyKey.of("\"abc\"").value());
        assertNotEquals(IdempotencyKey.of("abc"), IdempotencyKey.of("\"abc\""));
    }

    @Test
    void unescapesEscapedQuoteInQuotedForm() {
        assertEquals("a\"b", IdempotencyKey.parseHeader("\"a\\\"b\"").value());
    }

    @Test
    void unescapesEscapedBackslashInQuotedForm() {
        assertEquals("a\\b", IdempotencyKey.parseHeader("\"a\\\\b\"").value());
    }

    @Test
    void escapedQuoteAtTheEndOfQuotedFormIsPartOfTheKey() {
        assertEquals("ab\"", IdempotencyKey.parseHeader("\"ab\\\"\"").value());
    }

    @Test
    void rejectsUnescapedQuoteInsideQuotedForm() {
        InvalidIdempotencyKeyException e = rejects("\"ab\"cd\"");
        assertTrue(e.getMessage().contains("unescaped quote"), e.getMessage());
    }

    @Test
    void rejectsContentAfterTheClosingQuote() {
        InvalidIdempotencyKeyException e = rejects("\"abc\"def");
        assertTrue(e.getMessage().contains("unescaped quote"), e.getMessage());
    }

    @Test
    void rejectsMissingClosingQuote() {
        InvalidIdempotencyKeyException e = rejects("\"abc");
        assertTrue(e.getMessage().contains("no closing quote"), e.getMessage());
    }

    @Test
    void rejectsLoneOpeningQuote() {
        InvalidIdempotencyKeyException e = rejects("\"");
        assertTrue(e.getMessage().contains("no closing quote"), e.getMessage());
    }

    @Test
    void rejectsQuotedFormWhoseClosingQuoteIsEscaped() {
        InvalidIdempotencyKeyException e = rejects("\"abc\\\"");
        assertTrue(e.getMessage().contains("no closing quote"), e.getMessage());
    }

    @Test
    void rejectsQuotedFormEndingInABackslash() {
        InvalidIdempotencyKeyException e = rejects("\"abc\\");
        assertTrue(e.getMessage().contains("no closing quote"), e.getMessage());
    }

    @Test
    void rejectsInvalidEscapeInQuotedForm() {
        InvalidIdempotencyKeyException e = rejects("\"ab\\ncd\"");
        assertTrue(e.getMessage().contains("invalid escape"), e.getMessage());
        assertTrue(e.getMessage().contains("position 4"), e.getMessage());
    }

    @Test
    void rejectsEmptyQuotedString() {
        InvalidIdempotencyKeyException e = rejects("\"\"");
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "   ", "\t", " \t \t "})
    void rejectsEmptyOrWhitespaceOnlyFieldValue(String fieldValue) {
        InvalidIdempotencyKeyException e = rejects(fieldValue);
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertTrue(e.getMessage().contains("255"), e.getMessage());
    }

    @Test
    void ofRejectsEmptyValue() {
        InvalidIdempotencyKeyException e = assertThrows(InvalidIdempotencyKeyException.class,
                () -> IdempotencyKey.of(""));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void acceptsOneCharacter() {
        assertEquals("x", IdempotencyKey.parseHeader("x").value());
    }

    @Test
    void accepts255Characters() {
        String value = "k".repeat(255);
        assertEquals(value, IdempotencyKey.parseHeader(value).value());
        assertEquals(value, IdempotencyKey.parseHeader("\"" + value + "\"").value());
        assertEquals(IdempotencyKey.MAX_LENGTH, 255);
    }

    @Test
    void rejects256Characters() {
        InvalidIdempotencyKeyException e = rejects("k".repeat(256));
        assertTrue(e.getMessage().contains("256"), e.getMessage());
        assertTrue(e.getMessage().contains("255"), e.getMessage());
    }

    @Test
    void rejects256CharactersInQuotedForm() {
        InvalidIdempotencyKeyException e = rejects("\"" + "k".repeat(256) + "\"");
        assertTrue(e.getMessage().contains("255"), e.getMessage());
    }

    @Test
    void lengthLimitCountsUnescapedCharacters() {
        // 254 letters plus one escaped quote: 257 characters on the wire, 255 in the key.
        String onWire = "\"" + "k".repeat(254) + "\\\"\"";
        assertEquals(255, IdempotencyKey.parseHeader(onWire).value().length());
    }

    @Test
    void rejects10000Characters() {
        InvalidIdempotencyKeyException e = rejects("k".repeat(10_000));
        assertTrue(e.getMessage().contains("10000"), e.getMessage());
        assertTrue(e.getMessage().contains("255"), e.getMessage());
        assertTrue(e.getMessage().length() < 300, "the message must not echo the key");
    }

    @ParameterizedTest
    @ValueSource(chars = {0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F, 0x7F})
    void rejectsControlCharacterWithoutEchoingIt(char control) {
        InvalidIdempotencyKeyException e = rejects("ab" + control + "cd");
        assertTrue(e.getMessage().contains("control character"), e.getMessage());
        assertTrue(e.getMessage().contains(String.format("0x%02X", (int) control)), e.getMessage());
        assertTrue(e.getMessage().contains("position 3"), e.getMessage());
        assertNoControlCharacters(e.getMessage());
    }

    @Test
    void rejectsControlCharacterInsideQuotedFormWithoutEchoingIt() {
        InvalidIdempotencyKeyException e = rejects("\"ab\u0000cd\"");
        assertTrue(e.getMessage().contains("0x00"), e.getMessage());
        assertNoControlCharacters(e.getMessage());
    }

    @Test
    void rejectsSpaceInsideBareKey() {
        InvalidIdempotencyKeyException e = rejects("ab cd");
        assertTrue(e.getMessage().contains("a space"), e.getMessage());
        assertTrue(e.getMessage().contains("position 3"), e.getMessage());
    }

    @Test
    void rejectsSpaceInsideQuotedKey() {
        InvalidIdempotencyKeyException e = rejects("\"ab cd\"");
        assertTrue(e.getMessage().contains("a space"), e.getMessage());
    }

    @Test
    void rejectsNonAsciiLetter() {
        InvalidIdempotencyKeyException e = rejects("caf\u00e9");
        assertTrue(e.getMessage().contains("non-ASCII"), e.getMessage());
        assertTrue(e.getMessage().contains("U+00E9"), e.getMessage());
        assertTrue(e.getMessage().contains("0x21-0x7E"), e.getMessage());
    }

    @Test
    void rejectsEmoji() {
        InvalidIdempotencyKeyException e = rejects("key-\uD83D\uDE00");
        assertTrue(e.getMessage().contains("non-ASCII"), e.getMessage());
        assertTrue(e.getMessage().contains("position 5"), e.getMessage());
    }

    @Test
    void rejectsNonBreakingSpace() {
        InvalidIdempotencyKeyException e = rejects("ab\u00a0cd");
        assertTrue(e.getMessage().contains("U+00A0"), e.getMessage());
    }

    @Test
    void acceptsEveryVisibleAsciiCharacterInBareForm() {
        StringBuilder all = new StringBuilder();
        for (char c = 0x21; c <= 0x7E; c++) {
            if (c != '"') {
                all.append(c);
            }
        }
        assertEquals(all.toString(), IdempotencyKey.parseHeader(all.toString()).value());
    }

    @Test
    void trimsSurroundingSpacesAndTabsOfBareForm() {
        assertEquals(UUID, IdempotencyKey.parseHeader(" \t " + UUID + "\t  ").value());
    }

    @Test
    void trimsSurroundingSpacesAndTabsOfQuotedForm() {
        assertEquals(UUID, IdempotencyKey.parseHeader("\t \"" + UUID + "\" \t").value());
    }

    @Test
    void doesNotTrimOtherWhitespaceSuchAsNewline() {
        InvalidIdempotencyKeyException e = rejects(UUID + "\n");
        assertTrue(e.getMessage().contains("0x0A"), e.getMessage());
    }

    @Test
    void keysWithDifferentValuesAreNotEqual() {
        assertNotEquals(IdempotencyKey.parseHeader("a"), IdempotencyKey.parseHeader("A"));
    }

    @Test
    void toStringIsTheValue() {
        assertEquals("a\"b", IdempotencyKey.parseHeader("\"a\\\"b\"").toString());
    }

    @Test
    void rejectsNull() {
        assertThrows(NullPointerException.class, () -> IdempotencyKey.parseHeader(null));
        assertThrows(NullPointerException.class, () -> IdempotencyKey.of(null));
    }
}
