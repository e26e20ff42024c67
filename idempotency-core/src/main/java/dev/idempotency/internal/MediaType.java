package dev.idempotency.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A {@code Content-Type} value parsed as RFC 9110 defines a media type ({@code type/subtype} and
 * {@code ;name=value} parameters, a value being a token or a quoted string), in the canonical form the
 * fingerprint uses: type, subtype and parameter names in lower case, the {@code charset} value in lower case,
 * quoted values unquoted, parameters sorted by name (repeated names keep their order).
 *
 * @param essence {@code type/subtype}, lower case
 * @param parameters name and value pairs
 */
record MediaType(String essence, List<String[]> parameters) {

    private static final String TOKEN_CHARACTERS = "!#$%&'*+-.^_`|~";

    /** The parsed media type, or {@code null} if {@code text} is not one. */
    static MediaType parse(String text) {
        Parser parser = new Parser(text);
        String type = parser.token();
        if (type == null || !parser.accept('/')) {
            return null;
        }
        String subtype = parser.token();
        if (subtype == null) {
            return null;
        }
        List<String[]> parameters = new ArrayList<>();
        parser.skipWhitespace();
        while (!parser.atEnd()) {
            if (!parser.accept(';')) {
                return null;
            }
            parser.skipWhitespace();
            if (parser.atEnd()) {
                break; // a trailing ';' is tolerated, as most parsers do
            }
            String name = parser.token();
            if (name == null || !parser.accept('=')) {
                return null;
            }
            String value = parser.peek() == '"' ? parser.quotedString() : parser.token();
            if (value == null) {
                return null;
            }
            name = name.toLowerCase(Locale.ROOT);
            parameters.add(new String[] {name, name.equals("charset") ? value.toLowerCase(Locale.ROOT) : value});
            parser.skipWhitespace();
        }
        parameters.sort(Comparator.comparing(parameter -> parameter[0]));
        return new MediaType((type + "/" + subtype).toLowerCase(Locale.ROOT), List.copyOf(parameters));
    }

    private static final class Parser {
        private final String text;
        private int position;

        Parser(String text) {
            this.text = text;
            skipWhitespace();
        }

        boolean atEnd() {
            return position >= text.length();
        }

        char peek() {
            return atEnd() ? 0 : text.charAt(position);
        }

        boolean accept(char c) {
            if (peek() == c && !atEnd()) {
                position++;
                return true;
            }
            return false;
        }

        void skipWhitespace() {
            while (!atEnd() && (text.charAt(position) == ' ' || text.charAt(position) == '\t')) {
                position++;
            }
        }

        String token() {
            int start = position;
            while (!atEnd() && isTokenCharacter(text.charAt(position))) {
                position++;
            }
            return position > start ? text.substring(start, position) : null;
        }

        /** A quoted string, unquoted and unescaped; {@code null} if it does not close. */
        String quotedString() {
            StringBuilder value = new StringBuilder();
            position++; // the opening quote
            while (!atEnd()) {
                char c = text.charAt(position++);
                if (c == '"') {
                    return value.toString();
                }
                if (c == '\\') {
                    if (atEnd()) {
                        return null;
                    }
                    c = text.charAt(position++);
                }
                value.append(c);
            }
            return null;
        }

        private static boolean isTokenCharacter(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || TOKEN_CHARACTERS.indexOf(c) >= 0;
        }
    }
}
