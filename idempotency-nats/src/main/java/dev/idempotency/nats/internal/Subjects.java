package dev.idempotency.nats.internal;

/** NATS subjects and names, as a publisher and a consumer need them checked. */
public final class Subjects {

    private Subjects() {
    }

    /**
     * Why {@code subject} cannot be published to, or {@code null} if it can: dot-separated tokens, none empty,
     * none a wildcard ({@code *}, {@code >}), no white space or control characters.
     */
    public static String publishProblem(String subject) {
        if (subject == null || subject.isEmpty()) {
            return "the subject is empty";
        }
        for (int i = 0; i < subject.length(); i++) {
            char c = subject.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                return "the subject contains white space or a control character at index " + i;
            }
        }
        String[] tokens = subject.split("\\.", -1);
        for (String token : tokens) {
            if (token.isEmpty()) {
                return "the subject has an empty token (a leading, trailing or doubled dot)";
            }
            if (token.equals("*") || token.equals(">")) {
                return "the subject has a wildcard token '" + token + "'; messages are published to a literal subject";
            }
        }
        return null;
    }

    /**
     * Whether {@code name} can name a stream or a consumer: not empty, with no white space, dot, {@code *},
     * {@code >}, path separator or control character.
     */
    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || c == '.' || c == '*' || c == '>' || c == '/'
                    || c == '\\') {
                return false;
            }
        }
        return true;
    }
}
