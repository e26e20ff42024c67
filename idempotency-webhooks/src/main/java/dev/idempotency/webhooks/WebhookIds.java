package dev.idempotency.webhooks;

/**
 * What a {@code webhook-id} may hold. The signed content is {@code {id}.{timestamp}.{body}}; an id containing a
 * full stop could be re-split with a different timestamp and body under the same signature, and because the
 * receiver deduplicates on the id, a re-split id would also slip past deduplication. The specification asks
 * for ids without {@code .}; both the signer and the verifier insist on it.
 */
final class WebhookIds {

    /** The longest id accepted, so a hostile header cannot make the deduplication key arbitrarily long. */
    static final int MAX_LENGTH = 255;

    private WebhookIds() {
    }

    /** Why {@code id} is not a valid webhook id, or {@code null} if it is. Never quotes the id. */
    static String problem(String id) {
        if (id.isEmpty()) {
            return "it is empty";
        }
        if (id.length() > MAX_LENGTH) {
            return "it has " + id.length() + " characters, more than the " + MAX_LENGTH + " allowed";
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c == '.') {
                return "it contains a full stop (.), which would make the signed content {id}.{timestamp}.{body} "
                        + "ambiguous";
            }
            if (c < 0x21 || c > 0x7e) {
                return "it contains a character that is not visible ASCII (at index " + i + ")";
            }
        }
        return null;
    }
}
