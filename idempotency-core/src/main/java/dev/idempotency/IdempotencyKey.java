package dev.idempotency;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A client-chosen idempotency key: 1 to {@value #MAX_LENGTH} characters of visible ASCII
 * ({@code 0x21}-{@code 0x7E}).
 *
 * <p>The {@code Idempotency-Key} header carries it either as a Structured Field string, as the IETF draft
 * specifies ({@code Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"}), or bare, as many clients
 * send it ({@code Idempotency-Key: 8e03978e-40d5-43e8-bc93-6894a57f9324}). Both forms name the same key.
 * In the quoted form {@code \"} and {@code \\} are the only escapes; an unescaped quote inside it is an
 * error.
 */
public final class IdempotencyKey {

    /** The longest key accepted, in characters. */
    public static final int MAX_LENGTH = 255;

    private final String value;

    private IdempotencyKey(String value) {
        this.value = value;
    }

    /**
     * A key from its plain value (already unquoted).
     *
     * @throws InvalidIdempotencyKeyException if the value is empty, too long, or has a character outside
     *     visible ASCII
     */
    public static IdempotencyKey of(String value) {
        Objects.requireNonNull(value, "value");
        validate(value);
        return new IdempotencyKey(value);
    }

    /**
     * Parses one {@code Idempotency-Key} field value, in quoted or bare form. Surrounding spaces and tabs
     * are ignored, as HTTP specifies for field values.
     *
     * @throws InvalidIdempotencyKeyException with a message a client developer can act on
     */
    public static IdempotencyKey parseHeader(String fieldValue) {
        Objects.requireNonNull(fieldValue, "fieldValue");
        String trimmed = trimOptionalWhitespace(fieldValue);
        if (trimmed.isEmpty()) {
            throw new InvalidIdempotencyKeyException("The Idempotency-Key header is empty; send 1 to "
                    + MAX_LENGTH + " visible ASCII characters, for example a UUID.");
        }
        String value = trimmed.charAt(0) == '"' ? unquote(trimmed) : trimmed;
        validate(value);
        return new IdempotencyKey(value);
    }

    private static String unquote(String quoted) {
        StringBuilder out = new StringBuilder(quoted.length());
        int i = 1;
        while (i < quoted.length()) {
            char c = quoted.charAt(i);
            if (c == '\\') {
                if (i + 1 >= quoted.length()) {
                    break;
                }
                char escaped = quoted.charAt(i + 1);
                if (escaped != '"' && escaped != '\\') {
                    throw new InvalidIdempotencyKeyException("The quoted Idempotency-Key has an invalid escape "
                            + "at position " + (i + 1) + "; only \\\" and \\\\ may be escaped in a "
                            + "Structured Field string.");
                }
                out.append(escaped);
                i += 2;
                continue;
            }
            if (c == '"') {
                if (i != quoted.length() - 1) {
                    throw new InvalidIdempotencyKeyException("The quoted Idempotency-Key has an unescaped "
                            + "quote at position " + (i + 1) + " before its end; escape it as \\\" or send "
                            + "the key without quotes.");
                }
                return out.toString();
            }
            out.append(c);
            i++;
        }
        throw new InvalidIdempotencyKeyException("The quoted Idempotency-Key has no closing quote.");
    }

    private static void validate(String value) {
        if (value.isEmpty()) {
            throw new InvalidIdempotencyKeyException("The Idempotency-Key is empty; send 1 to " + MAX_LENGTH
                    + " visible ASCII characters, for example a UUID.");
        }
        if (value.length() > MAX_LENGTH) {
            throw new InvalidIdempotencyKeyException("The Idempotency-Key is " + value.length()
                    + " characters long; the limit is " + MAX_LENGTH + ".");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new InvalidIdempotencyKeyException("The Idempotency-Key has " + describe(value, i)
                        + " at position " + (i + 1) + "; only visible ASCII characters (0x21-0x7E) are "
                        + "allowed.");
            }
        }
    }

    /**
     * Names the character at {@code i} truthfully. Servlet containers hand header values over as one
     * character per byte (ISO-8859-1), so a UTF-8 character arrives as several characters from 0x80 to 0xFF:
     * "é" as "\u00C3\u00A9". Where such a run decodes as UTF-8, that is what the client sent, and naming
     * U+00C3 would send the reader looking for a character that is not in their key.
     */
    private static String describe(String value, int i) {
        int codePoint = value.codePointAt(i);
        if (codePoint == ' ') {
            return "a space";
        }
        if (codePoint < 0x20 || codePoint == 0x7F) {
            return String.format("a control character (0x%02X)", codePoint);
        }
        if (codePoint > 0xFF) {
            return String.format("a non-ASCII character (U+%04X)", codePoint);
        }
        int end = i;
        while (end < value.length() && value.charAt(end) >= 0x80 && value.charAt(end) <= 0xFF && end - i < 4) {
            end++;
        }
        byte[] bytes = new byte[end - i];
        for (int k = 0; k < bytes.length; k++) {
            bytes[k] = (byte) value.charAt(i + k);
        }
        for (int length = bytes.length; length >= 2; length--) {
            String decoded = strictUtf8(bytes, length);
            if (decoded != null && decoded.codePointCount(0, decoded.length()) == 1) {
                StringBuilder hex = new StringBuilder();
                for (int k = 0; k < length; k++) {
                    hex.append(k == 0 ? "" : " ").append(String.format("0x%02X", bytes[k] & 0xFF));
                }
                return String.format("a non-ASCII character, U+%04X, sent as the UTF-8 bytes %s",
                        decoded.codePointAt(0), hex);
            }
        }
        return String.format("a non-ASCII byte 0x%02X (U+%04X in ISO-8859-1)", codePoint, codePoint);
    }

    private static String strictUtf8(byte[] bytes, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String trimOptionalWhitespace(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    /** The key as the client meant it, without quotes or escapes. */
    public String value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdempotencyKey other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }
}
