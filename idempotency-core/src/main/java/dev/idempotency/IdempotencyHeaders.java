package dev.idempotency;

/**
 * The names of the HTTP header fields of the protocol, for adapters and for clients and tests that read them.
 * Header names are case-insensitive; these are the spellings the library sends.
 */
public final class IdempotencyHeaders {

    /** The request header carrying the key, as the IETF draft names it. */
    public static final String KEY = "Idempotency-Key";

    /** Marks a replayed response ({@code Idempotent-Replayed: true}), as Stripe-style clients expect. */
    public static final String REPLAYED = "Idempotent-Replayed";

    /** Sent with 409 and 503: the whole seconds to wait before retrying. */
    public static final String RETRY_AFTER = "Retry-After";

    private IdempotencyHeaders() {
    }
}
