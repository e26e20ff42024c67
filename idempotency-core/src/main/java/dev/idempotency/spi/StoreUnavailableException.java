package dev.idempotency.spi;

/**
 * The store could not serve the request right now: the database is down or unreachable, the pool had
 * no connection to give, the connection broke mid-transaction, or the database aborted the transaction
 * for a conflict it asks the client to retry. Any effect of the request was rolled back; the filter
 * answers 503 with {@code Retry-After}, and a retry with the same key runs again.
 */
public class StoreUnavailableException extends StoreException {

    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
