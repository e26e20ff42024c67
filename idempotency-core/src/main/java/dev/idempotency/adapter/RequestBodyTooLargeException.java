package dev.idempotency.adapter;

import dev.idempotency.IdempotencyException;

/**
 * A request body over {@code idempotency.max-request-bytes}. The body is not read past the limit, so a
 * client that sends gigabytes does not make the server buffer them.
 */
public final class RequestBodyTooLargeException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    private final long limit;
    private final long declaredLength;

    /**
     * @param limit the configured limit in bytes
     * @param declaredLength the Content-Length the client declared, or -1 when the body was streamed
     *     (chunked) and found to be longer while reading
     */
    public RequestBodyTooLargeException(long limit, long declaredLength) {
        super(declaredLength >= 0
                ? "Request body of " + declaredLength + " bytes exceeds the limit of " + limit + " bytes"
                : "Request body exceeds the limit of " + limit + " bytes", false);
        this.limit = limit;
        this.declaredLength = declaredLength;
    }

    public long limit() {
        return limit;
    }

    /** The declared Content-Length, or -1 when the body had none. */
    public long declaredLength() {
        return declaredLength;
    }
}
