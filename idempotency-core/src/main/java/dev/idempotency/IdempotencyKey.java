package dev.idempotency;

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
                throw new InvalidIdempotencyKeyException("The Idempotency-Key has " + describe(value.codePointAt(i))
                        + " at position " + (i + 1) + "; only visible ASCII characters (0x21-0x7E) are "
                        + "allowed.");
            }
        }
    }

    private static String describe(int codePoint) {
        if (codePoint == ' ') {
            return "a space";
        }
        if (codePoint < 0x20 || codePoint == 0x7F) {
            return String.format("a control character (0x%02X)", codePoint);
        }
        return String.format("a non-ASCII character (U+%04X)", codePoint);
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
