package dev.idempotency.jdbc.internal;

import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.StoreUnavailableException;
import java.sql.SQLException;

/**
 * A transaction-mode claim: an open transaction that the handler's writes join and that {@link #complete} ends
 * with the outcome, or {@link #abandon} rolls back. What the two kinds ({@link JdbcClaim}, the default, and
 * {@link JdbcOptimisticClaim}) share: running the handler in the transaction, and ending it.
 *
 * <p>A handler that fails because the transaction's own connection was lost (the database went away, a proxy cut
 * it) failed for the store, not for the application: nothing of the request was committed and a retry can
 * succeed, so {@link #execute} says the store is unavailable (answered 503 with {@code Retry-After}). Whether the
 * connection was lost is asked of the connection itself, and only on that failure path.
 */
abstract sealed class TransactionClaim implements Claim permits JdbcClaim, JdbcOptimisticClaim {

    /** How long the check of a connection may take, in seconds. */
    private static final int VALIDATION_SECONDS = 1;

    final Transaction transaction;
    final SqlDialect dialect;
    final ClaimRequest request;
    final ClaimLifecycle lifecycle;

    /** A claim of {@code request} in {@code transaction}, which it now owns and ends. */
    TransactionClaim(Transaction transaction, SqlDialect dialect, ClaimRequest request) {
        this.transaction = transaction;
        this.dialect = dialect;
        this.request = request;
        this.lifecycle = new ClaimLifecycle(request.key().toString());
    }

    /**
     * Runs {@code work} bound to the transaction.
     *
     * @throws StoreUnavailableException if {@code work} threw and the transaction's connection no longer works,
     *     with what it threw as the cause
     * @throws Exception whatever {@code work} threw otherwise, unchanged
     */
    @Override
    public final <T> T execute(Work<T> work) throws Exception {
        lifecycle.requireOpen("execute");
        try {
            return transaction.bind(work::run);
        } catch (Exception e) {
            if (connectionLost()) {
                throw new StoreUnavailableException("The store's database connection was lost while the handler ran; "
                        + "nothing of the request was committed", e);
            }
            throw e;
        }
    }

    private boolean connectionLost() {
        try {
            return !transaction.connection().isValid(VALIDATION_SECONDS);
        } catch (SQLException | RuntimeException e) {
            return true;
        }
    }

    @Override
    public final void abandon() {
        if (lifecycle.abandon()) {
            transaction.close();
        }
    }

    @Override
    public final void close() {
        abandon();
    }
}
