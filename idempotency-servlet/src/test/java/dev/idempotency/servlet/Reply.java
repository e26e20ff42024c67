package dev.idempotency.servlet;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A response as the client received it: status, header fields (names compared without case) and the
 * body bytes.
 */
final class Reply {

    private static final Pattern STRING_FIELD = Pattern.compile("\"([A-Za-z]+)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern NUMBER_FIELD = Pattern.compile("\"([A-Za-z]+)\"\\s*:\\s*(-?[0-9]+)");

    private final int status;
    private final Map<String, List<String>> headers;
    private final byte[] body;

    Reply(int status, Map<String, List<String>> headers, byte[] body) {
        this.status = status;
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> {
            if (name != null) {
                copy.computeIfAbsent(name, n -> new java.util.ArrayList<>()).addAll(values);
            }
        });
        this.headers = Collections.unmodifiableMap(copy);
        this.body = body;
    }

    int status() {
        return status;
    }

    /** The first value of the header, or {@code null} when it is absent. */
    String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of the header, in order; empty when it is absent. */
    List<String> headers(String name) {
        return headers.getOrDefault(name, List.of());
    }

    boolean hasHeader(String name) {
        return headers.containsKey(name);
    }

    byte[] body() {
        return body.clone();
    }

    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    boolean replayed() {
        return "true".equals(header("Idempotent-Replayed"));
    }

    /** The top-level string member {@code name} of a flat JSON body (the test servlets' and problems'). */
    String jsonString(String name) {
        Matcher m = STRING_FIELD.matcher(text());
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return unescape(m.group(2));
            }
        }
        return null;
    }

    /** The top-level integer member {@code name} of a flat JSON body, or -1 when absent. */
    long jsonNumber(String name) {
        Matcher m = NUMBER_FIELD.matcher(text());
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return Long.parseLong(m.group(2));
            }
        }
        return -1;
    }

    /** The problem type without its {@code urn:idempotency:problem:} prefix, or the whole type. */
    String problemType() {
        String type = jsonString("type");
        String prefix = "urn:idempotency:problem:";
        return type != null && type.startsWith(prefix) ? type.substring(prefix.length()) : type;
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return status + " " + headers + " " + (body.length > 400 ? text().substring(0, 400) + "..." : text());
    }
}
