package dev.idempotency.jdbc.internal;

import dev.idempotency.spi.StoreUnavailableException;
import java.sql.SQLException;

/**
 * How a transaction-mode claim runs the application's handler in its transaction. A handler that fails
 * because the claim's own connection was lost (the database went away, a proxy cut it) failed for the store,
 * not for the application: nothing of the request was committed, and a retry can succeed, so the failure is
 * told as the store being unavailable (answered 503 with {@code Retry-After}). Whether the connection was lost
 * is asked of the connection itself, only on that failure path.
 */
final class HandlerRuns {

    /** How long the check of a connection may take, in seconds. */
    private static final int VALIDATION_SECONDS = 1;

    private HandlerRuns() {
    }

    /**
     * Runs {@code work} bound to {@code transaction}.
     *
     * @throws StoreUnavailableException if {@code work} threw and the transaction's connection no longer works,
     *     with what it threw as the cause
     * @throws Exception whatever {@code work} threw otherwise, unchanged
     */
    static <T> T run(Transaction transaction, Transaction.Work<T> work) throws Exception {
        try {
            return transaction.bind(work);
        } catch (Exception e) {
            if (connectionLost(transaction)) {
                throw new StoreUnavailableException("The store's database connection was lost while the handler ran; "
                        + "nothing of the request was committed", e);
            }
            throw e;
        }
    }

    private static boolean connectionLost(Transaction transaction) {
        try {
            return !transaction.connection().isValid(VALIDATION_SECONDS);
        } catch (SQLException | RuntimeException e) {
            return true;
        }
    }
}
