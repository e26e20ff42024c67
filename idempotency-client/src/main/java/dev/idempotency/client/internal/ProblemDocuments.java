package dev.idempotency.client.internal;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the top-level members of an RFC 9457 problem document. The client depends on nothing but the JDK,
 * so this is a small, strict JSON reader of one object: string, number, boolean and null members are kept,
 * nested objects and arrays are skipped, anything malformed makes the whole document "not a problem" (the
 * refusal is still reported, with its raw body).
 */
public final class ProblemDocuments {

    /** The media type of problem documents. */
    public static final String MEDIA_TYPE = "application/problem+json";

    private final String text;
    private int at;

    private ProblemDocuments(String text) {
        this.text = text;
    }

    /** Whether the answer's {@code Content-Type} is {@value #MEDIA_TYPE}, parameters aside. */
    public static boolean isProblem(HttpHeaders headers) {
        return headers.firstValue("Content-Type")
                .map(type -> type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals(MEDIA_TYPE))
                .orElse(false);
    }

    /**
     * The document's top-level members, by name: a {@link String}, a {@link Double} or {@link Long}, a
     * {@link Boolean}, or {@code null} for JSON null (nested values are left out); empty if the body is not
     * one well-formed JSON object.
     */
    public static Optional<Map<String, Object>> members(byte[] body) {
        ProblemDocuments reader = new ProblemDocuments(new String(body, StandardCharsets.UTF_8));
        try {
            reader.whitespace();
            Map<String, Object> members = reader.object();
            reader.whitespace();
            return reader.at == reader.text.length() ? Optional.of(members) : Optional.empty();
        } catch (IllegalStateException | IndexOutOfBoundsException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Map<String, Object> object() {
        Map<String, Object> members = new HashMap<>();
        expect('{');
        whitespace();
        if (peek() == '}') {
            at++;
            return members;
        }
        while (true) {
            whitespace();
            String name = string();
            whitespace();
            expect(':');
            whitespace();
            Object value = value();
            if (value != SKIPPED) {
                members.put(name, value);
            }
            whitespace();
            char next = text.charAt(at++);
            if (next == '}') {
                return members;
            }
            if (next != ',') {
                throw new IllegalStateException("expected , or }");
            }
        }
    }

    private static final Object SKIPPED = new Object();

    private Object value() {
        char c = peek();
        if (c == '"') {
            return string();
        }
        if (c == '{' || c == '[') {
            skipNested();
            return SKIPPED;
        }
        if (text.startsWith("true", at)) {
            at += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("false", at)) {
            at += 5;
            return Boolean.FALSE;
        }
        if (text.startsWith("null", at)) {
            at += 4;
            return null;
        }
        return number();
    }

    private Object number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        String digits = text.substring(start, at);
        try {
            if (digits.matches("-?(0|[1-9][0-9]*)")) {
                return Long.parseLong(digits);
            }
            if (digits.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
                return Double.parseDouble(digits);
            }
        } catch (NumberFormatException e) {
            // Too long for a long: not a status anyway.
            return Double.parseDouble(digits);
        }
        throw new IllegalStateException("not a JSON value at " + start);
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw new IllegalStateException("control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = text.charAt(at++);
            switch (escaped) {
                case '"', '\\', '/' -> out.append(escaped);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> throw new IllegalStateException("bad escape");
            }
        }
    }

    /** Skips an object or array, strings inside it included. */
    private void skipNested() {
        int depth = 0;
        do {
            char c = text.charAt(at);
            if (c == '"') {
                string();
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            }
            at++;
        } while (depth > 0);
    }

    private void whitespace() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private char peek() {
        return text.charAt(at);
    }

    private void expect(char c) {
        if (text.charAt(at++) != c) {
            throw new IllegalStateException("expected " + c);
        }
    }
}
