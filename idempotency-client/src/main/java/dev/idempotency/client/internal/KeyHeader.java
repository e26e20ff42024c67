package dev.idempotency.client.internal;

/**
 * The {@code Idempotency-Key} header's value. The IETF draft makes it a Structured Field String (RFC 8941):
 * the key in double quotes, with {@code \} and {@code "} escaped; many APIs (Stripe's among them) take the
 * bare key. Keys are 1 to 255 characters of visible ASCII, which both forms carry and servers accept.
 */
public final class KeyHeader {

    /** The longest key sent. */
    public static final int MAX_LENGTH = 255;

    private KeyHeader() {
    }

    /**
     * Checks a key the caller chose or a generator made.
     *
     * @throws IllegalArgumentException saying what is wrong, without quoting more of the key than needed
     */
    public static String requireValid(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("An idempotency key must have 1 to " + MAX_LENGTH
                    + " visible ASCII characters; it was " + (key == null ? "null" : "empty"));
        }
        if (key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("An idempotency key must have at most " + MAX_LENGTH
                    + " characters; it had " + key.length());
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("An idempotency key must be visible ASCII (0x21 to 0x7E); "
                        + "character " + (i + 1) + " is U+" + String.format("%04X", (int) c));
            }
        }
        return key;
    }

    /** The header value carrying {@code key}: a Structured Field String, or the bare key. */
    public static String value(String key, boolean structured) {
        if (!structured) {
            return key;
        }
        StringBuilder quoted = new StringBuilder(key.length() + 2).append('"');
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\');
            }
            quoted.append(c);
        }
        return quoted.append('"').toString();
    }

    /** The key a header value carries: a Structured Field String unquoted, or the value as it is. */
    public static String key(String value) {
        String v = value.strip();
        if (v.length() < 2 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
            return v;
        }
        StringBuilder key = new StringBuilder(v.length());
        for (int i = 1; i < v.length() - 1; i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length() - 1) {
                c = v.charAt(++i);
            }
            key.append(c);
        }
        return key.toString();
    }
}
