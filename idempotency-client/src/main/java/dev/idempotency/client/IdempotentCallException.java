package dev.idempotency.client;

import java.util.Optional;

/**
 * A logical call that did not end with a final answer: refused by the server in a way no retry can fix, or
 * out of attempts or time. Carries the call's key, so it can be logged and the call retried later with the
 * same key, and the number of attempts made.
 */
public abstract class IdempotentCallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final int attempts;

    IdempotentCallException(String message, String key, int attempts, Throwable cause) {
        super(message, cause);
        this.key = key;
        this.attempts = attempts;
    }

    /** The call's idempotency key; empty for a call that carries none. */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /** How many attempts were made. */
    public int attempts() {
        return attempts;
    }
}
