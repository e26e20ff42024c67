package dev.idempotency.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.idempotency.MalformedRequestBodyException;
import dev.idempotency.RequestFingerprint;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Fuzzes the JSON canonicaliser behind {@link RequestFingerprint}: with any bytes it either writes a
 * canonical form or refuses with {@link MalformedRequestBodyException}; the canonical form is its own
 * canonical form; and two spellings of one JSON value (members in another order, other whitespace, other
 * string escapes) have one canonical form and one fingerprint.
 */
class CanonicalJsonFuzzTest {

    @FuzzTest
    void canonicalFormIsItsOwnCanonicalForm(byte[] body) {
        byte[] canonical;
        try {
            canonical = canonical(body);
        } catch (MalformedRequestBodyException refused) {
            return;
        }
        assertArrayEquals(canonical, canonical(canonical), () -> new String(canonical, StandardCharsets.UTF_8));
    }

    @FuzzTest
    void equivalentJsonHasOneCanonicalFormAndOneFingerprint(FuzzedDataProvider data) {
        Object value = value(data, 0);
        // Two spellings of the value, each with its own member order, whitespace and escapes.
        String first = spell(value, new Random(data.consumeLong()));
        String second = spell(value, new Random(data.consumeLong()));
        byte[] firstBytes = first.getBytes(StandardCharsets.UTF_8);
        byte[] secondBytes = second.getBytes(StandardCharsets.UTF_8);
        byte[] firstCanonical;
        try {
            firstCanonical = canonical(firstBytes);
        } catch (MalformedRequestBodyException refused) {
            // A refusal is for the value, not the spelling: a member name that is a lone surrogate, say.
            assertThrows(MalformedRequestBodyException.class, () -> canonical(secondBytes), () -> first + "\n" + second);
            return;
        }
        assertArrayEquals(firstCanonical, canonical(secondBytes), () -> first + "\n" + second);
        assertEquals(fingerprint(firstBytes), fingerprint(secondBytes), () -> first + "\n" + second);
    }

    private static byte[] canonical(byte[] body) {
        DigestSink sink = new DigestSink(new RecordingDigest(), body.length);
        CanonicalJson.write(body, sink);
        return sink.finish();
    }

    private static RequestFingerprint fingerprint(byte[] body) {
        return RequestFingerprint.of("POST", "/orders", null, "application/json", body);
    }

    /** A JSON value: a String, a Number's text (a {@link Literal}), a List, or a list of {@link Member}s. */
    private static Object value(FuzzedDataProvider data, int depth) {
        int kind = data.consumeInt(0, depth >= 4 ? 3 : 5);
        switch (kind) {
            case 0:
                return data.consumeString(12);
            case 1:
                return new Literal(number(data));
            case 2:
                return new Literal(data.pickValue(new String[] {"true", "false", "null"}));
            case 3:
                return new Literal(Long.toString(data.consumeLong()));
            case 4: {
                List<Object> items = new ArrayList<>();
                int n = data.consumeInt(0, 4);
                for (int i = 0; i < n; i++) {
                    items.add(value(data, depth + 1));
                }
                return items;
            }
            default: {
                // Distinct names: duplicate names keep the order they were sent in, so reordering them is
                // a different request.
                Set<String> names = new LinkedHashSet<>();
                int n = data.consumeInt(0, 4);
                for (int i = 0; i < n; i++) {
                    names.add(data.consumeString(8));
                }
                List<Member> members = new ArrayList<>();
                for (String name : names) {
                    members.add(new Member(name, value(data, depth + 1)));
                }
                return new Obj(members);
            }
        }
    }

    private static String number(FuzzedDataProvider data) {
        String text = (data.consumeBoolean() ? "-" : "") + data.consumeInt(0, 1_000_000);
        if (data.consumeBoolean()) {
            text += "." + data.consumeInt(0, 9999);
        }
        if (data.consumeBoolean()) {
            text += data.pickValue(new String[] {"e", "E", "e+", "E-"}) + data.consumeInt(0, 400);
        }
        return text;
    }

    private static String spell(Object value, Random random) {
        StringBuilder out = new StringBuilder();
        spell(value, random, out);
        space(random, out);
        return out.toString();
    }

    private static void spell(Object value, Random random, StringBuilder out) {
        space(random, out);
        if (value instanceof String s) {
            string(s, random, out);
        } else if (value instanceof Literal literal) {
            out.append(literal.text);
        } else if (value instanceof Obj obj) {
            List<Member> members = new ArrayList<>(obj.members);
            Collections.shuffle(members, random);
            out.append('{');
            for (int i = 0; i < members.size(); i++) {
                if (i > 0) {
                    space(random, out);
                    out.append(',');
                }
                space(random, out);
                string(members.get(i).name, random, out);
                space(random, out);
                out.append(':');
                spell(members.get(i).value, random, out);
            }
            space(random, out);
            out.append('}');
        } else {
            List<?> items = (List<?>) value;
            out.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                spell(items.get(i), random, out);
                space(random, out);
            }
            out.append(']');
        }
    }

    private static void space(Random random, StringBuilder out) {
        int n = random.nextInt(3);
        for (int i = 0; i < n; i++) {
            out.append(" \t\r\n".charAt(random.nextInt(4)));
        }
    }

    /** Writes {@code s} as a JSON string, escaping each character that may be escaped in one of its forms. */
    private static void string(String s, Random random, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean mustEscape = c == '"' || c == '\\' || c < 0x20 || Character.isSurrogate(c);
            if (mustEscape || random.nextInt(4) == 0) {
                String shortForm = switch (c) {
                    case '"' -> "\\\"";
                    case '\\' -> "\\\\";
                    case '/' -> "\\/";
                    case '\b' -> "\\b";
                    case '\f' -> "\\f";
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> null;
                };
                out.append(shortForm != null && random.nextBoolean() ? shortForm
                        : String.format(random.nextBoolean() ? "\\u%04x" : "\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }

    private record Literal(String text) {
    }

    private record Member(String name, Object value) {
    }

    private record Obj(List<Member> members) {
    }

    /** A "digest" that is the bytes written to it, so a test can read the canonical form. */
    private static final class RecordingDigest extends MessageDigest {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        RecordingDigest() {
            super("recording");
        }

        @Override
        protected void engineUpdate(byte input) {
            bytes.write(input);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            bytes.write(input, offset, len);
        }

        @Override
        protected byte[] engineDigest() {
            byte[] result = bytes.toByteArray();
            bytes.reset();
            return result;
        }

        @Override
        protected void engineReset() {
            bytes.reset();
        }
    }
}
