package dev.idempotency;

/**
 * An {@code Idempotency-Key} header value that is not a valid key. The message says what is wrong in
 * terms a client developer can act on; it never echoes the raw value, which may hold control characters.
 */
public final class InvalidIdempotencyKeyException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    InvalidIdempotencyKeyException(String message) {
        super(message, false);
    }
}
