package dev.idempotency;

/**
 * A request body that claims a media type (JSON) it does not parse as, so it cannot be fingerprinted.
 * The filter answers it with 400 before the handler runs.
 */
public final class MalformedRequestBodyException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    public MalformedRequestBodyException(String message) {
        super(message, false);
    }
}
