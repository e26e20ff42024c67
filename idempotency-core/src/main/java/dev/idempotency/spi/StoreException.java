package dev.idempotency.spi;

import dev.idempotency.IdempotencyException;

/**
 * The store failed in a way a retry is not expected to fix (a missing table, a constraint the schema
 * should not allow). The filter answers the request with 500 and rolls back its effects.
 */
public class StoreException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
