package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.KeyTakenException;
import dev.idempotency.spi.StoreException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;

/**
 * An optimistic claim: an open transaction that has claimed nothing. The handler's writes run in it, and
 * {@link #complete} inserts the completed record with a plain {@code INSERT} just before the {@code COMMIT}
 * ({@link SqlDialect#insertOptimistic}); if the key was taken, the insert fails, everything rolls back, and
 * {@link KeyTakenException} says so. Never a {@code COMMIT} after an insert that did not insert.
 */
public final class JdbcOptimisticClaim extends TransactionClaim {

    /** The optimistic claim of {@code request} in {@code transaction}, which it now owns and ends. */
    public JdbcOptimisticClaim(Transaction transaction, SqlDialect dialect, ClaimRequest request) {
        super(transaction, dialect, request);
    }

    /**
     * 1, as for a claim of a lock alone ({@code ClaimFound.Acquired.lockOnly()}): the transaction guards the writes,
     * not a token, and the record takes one from the database's clock.
     */
    @Override
    public long fencingToken() {
        return 1;
    }

    @Override
    public void complete(StoredResponse response, Instant expiresAt) {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(expiresAt, "expiresAt");
        lifecycle.complete();
        try (transaction) {
            if (!dialect.insertOptimistic(transaction, request, response, expiresAt)) {
                transaction.rollback();
                throw new KeyTakenException(request.key(), null);
            }
            // After a COMMIT sent with the insert the transaction has ended already, and this is a no-op for the
            // driver; it keeps the pool's own bookkeeping of the connection's transaction state right.
            transaction.commit();
        } catch (SQLException e) {
            throw SqlErrors.translate("storing the outcome of an idempotency key", e);
        }
    }
}
