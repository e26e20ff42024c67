package dev.idempotency.examples;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * The demo's rules for the text a client sends it, in a request body's fields or a query parameter: one
 * place for both endpoints, so that {@code /posts} and {@code /payments} refuse the same things with the same
 * words.
 *
 * <p>Besides presence, type and length, text must be something the demo's databases store exactly: a
 * PostgreSQL {@code text} or {@code varchar} column cannot hold U+0000 at all (the insert fails, and the
 * request would be a 500 on every retry), and the JDBC driver writes an unpaired surrogate (JSON's
 * {@code "\ud800"}, which is not a character) as {@code ?}, so what was stored would differ from what the
 * 201 and its replays show. H2's {@code VARCHAR} takes U+0000, but the rule is the API's, not one
 * database's: the same request must be valid on either. Every other character, supplementary ones included,
 * is stored exactly by both.
 */
final class TextFields {

    private TextFields() {
    }

    /**
     * Why the body's {@code field} cannot be used, or {@code null} if it is a non-blank string of at most
     * {@code maxLength} UTF-16 units that the database stores exactly.
     */
    static String invalidField(JsonNode body, String field, int maxLength) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return "The field " + field + " is missing";
        }
        if (!value.isTextual()) {
            return "The field " + field + " must be a string, not "
                    + value.getNodeType().name().toLowerCase(Locale.ROOT);
        }
        String text = value.asText();
        if (text.isBlank()) {
            return "The field " + field + " must not be blank";
        }
        if (text.length() > maxLength) {
            return "The field " + field + " must be at most " + maxLength + " characters long";
        }
        String unstorable = unstorable(text);
        return unstorable == null ? null : "The field " + field + unstorable;
    }

    /**
     * Why the query parameter {@code name} with {@code value} cannot be looked up, or {@code null}: a value the
     * database cannot take would fail the query itself.
     */
    static String invalidParameter(String name, String value) {
        String unstorable = unstorable(value);
        return unstorable == null ? null : "The query parameter " + name + unstorable;
    }

    /** What makes {@code text} unstorable, as the end of a sentence naming it, or {@code null}. */
    private static String unstorable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return " contains U+0000 (NUL) at position " + (i + 1) + ", which the database cannot store";
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return " contains an unpaired surrogate (U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT)
                        + " at position " + (i + 1) + "), which is not a character and cannot be stored as text: "
                        + "send the character, or both halves of its surrogate pair";
            }
        }
        return null;
    }
}
