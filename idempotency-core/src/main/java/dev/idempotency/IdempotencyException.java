package dev.idempotency;

/**
 * Root of every exception this library throws. It is unchecked: the failures it reports are either
 * configuration mistakes (fix and restart) or store failures that the filter already turns into an
 * HTTP problem response.
 */
public abstract class IdempotencyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    protected IdempotencyException(String message) {
        super(message);
    }

    protected IdempotencyException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * For expected rejections (a malformed key, a body over the limit): they are part of normal traffic,
     * so they skip the cost of filling in a stack trace.
     */
    protected IdempotencyException(String message, boolean withStackTrace) {
        super(message, null, false, withStackTrace);
    }
}
