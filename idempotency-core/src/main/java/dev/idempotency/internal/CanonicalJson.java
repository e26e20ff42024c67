package dev.idempotency.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import dev.idempotency.MalformedRequestBodyException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a JSON document in a canonical form: object members sorted by name (UTF-16 code unit order,
 * stable for duplicate names), no insignificant whitespace, strings re-escaped minimally, numbers
 * exactly as their text was sent ({@code 1.0} and {@code 1.00} stay different, because a handler may
 * treat them differently).
 */
final class CanonicalJson {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private CanonicalJson() {
    }

    static void write(byte[] body, DigestSink out) {
        Node root;
        try (JsonParser parser = FACTORY.createParser(body)) {
            // Jackson's UTF-8 reader does not refuse every malformed sequence: an overlong four-byte form
            // becomes a stray surrogate, so bytes that are not UTF-8 would canonicalise like some that are.
            if (parser instanceof UTF8StreamJsonParser && !isUtf8(body)) {
                throw new MalformedRequestBodyException("The request body is declared as JSON but is not valid "
                        + "UTF-8.");
            }
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new MalformedRequestBodyException("The request body is declared as JSON but is empty "
                        + "or only whitespace.");
            }
            root = read(parser, first);
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw new MalformedRequestBodyException("The request body is declared as JSON but has more "
                        + "content after the first JSON value (at line " + parser.currentLocation().getLineNr()
                        + ", column " + parser.currentLocation().getColumnNr() + ").");
            }
        } catch (JsonProcessingException e) {
            // Limit violations (nesting depth, number length) carry no location.
            JsonLocation location = e.getLocation();
            throw new MalformedRequestBodyException("The request body is declared as JSON but is not valid "
                    + "JSON: " + e.getOriginalMessage() + (location == null ? "." : " (at line "
                    + location.getLineNr() + ", column " + location.getColumnNr() + ")."));
        } catch (IOException e) {
            throw new MalformedRequestBodyException("The request body is declared as JSON but could not be "
                    + "read as JSON: " + e.getMessage());
        }
        root.writeTo(out);
    }

    private static boolean isUtf8(byte[] body) {
        int i = 0;
        while (i < body.length && body[i] >= 0) {
            i++;
        }
        if (i == body.length) {
            return true;
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body, i, body.length - i));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static Node read(JsonParser parser, JsonToken token) throws IOException {
        switch (token) {
            case START_OBJECT: {
                List<Member> members = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    members.add(new Member(name, read(parser, parser.nextToken())));
                }
                expectEnd(parser, next, JsonToken.END_OBJECT);
                // List.sort is stable: duplicate names keep the order they were sent in.
                members.sort((a, b) -> a.name.compareTo(b.name));
                return new ObjectNode(members);
            }
            case START_ARRAY: {
                List<Node> items = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY && next != null) {
                    items.add(read(parser, next));
                }
                expectEnd(parser, next, JsonToken.END_ARRAY);
                return new ArrayNode(items);
            }
            case VALUE_STRING:
                return new StringNode(parser.getText());
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                // getText() returns the number's characters as they appeared in the input.
                return new LiteralNode(parser.getText());
            case VALUE_TRUE:
                return LiteralNode.TRUE;
            case VALUE_FALSE:
                return LiteralNode.FALSE;
            case VALUE_NULL:
                return LiteralNode.NULL;
            default:
                throw new MalformedRequestBodyException("The request body is declared as JSON but has an "
                        + "unexpected token " + token + ".");
        }
    }

    private static void expectEnd(JsonParser parser, JsonToken actual, JsonToken expected) {
        if (actual != expected) {
            throw new MalformedRequestBodyException("The request body is declared as JSON but ends before "
                    + "its last " + (expected == JsonToken.END_OBJECT ? "object" : "array") + " is closed.");
        }
    }

    private interface Node {
        void writeTo(DigestSink out);
    }

    private record Member(String name, Node value) {
    }

    private record ObjectNode(List<Member> members) implements Node {
        @Override
        public void writeTo(DigestSink out) {
            out.write('{');
            for (int i = 0; i < members.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                Member member = members.get(i);
                writeString(member.name, out);
                out.write(':');
                member.value.writeTo(out);
            }
            out.write('}');
        }
    }

    private record ArrayNode(List<Node> items) implements Node {
        @Override
        public void writeTo(DigestSink out) {
            out.write('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                items.get(i).writeTo(out);
            }
            out.write(']');
        }
    }

    private record StringNode(String value) implements Node {
        @Override
        public void writeTo(DigestSink out) {
            writeString(value, out);
        }
    }

    private record LiteralNode(String text) implements Node {
        static final LiteralNode TRUE = new LiteralNode("true");
        static final LiteralNode FALSE = new LiteralNode("false");
        static final LiteralNode NULL = new LiteralNode("null");

        @Override
        public void writeTo(DigestSink out) {
            out.writeAscii(text);
        }
    }

    private static void writeString(String s, DigestSink out) {
        out.write('"');
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20) {
                out.writeUtf8(s, start, i);
                if (c == '"' || c == '\\') {
                    out.write('\\');
                    out.write(c);
                } else {
                    out.writeUnicodeEscape(c);
                }
                start = i + 1;
            }
        }
        out.writeUtf8(s, start, s.length());
        out.write('"');
    }
}
