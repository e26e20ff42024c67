package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.StoreException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;

/**
 * A claim held as an open transaction: the claim, the handler's writes and the outcome commit together in
 * {@link #complete}, or roll back together. The claim is an in-progress row, or (on PostgreSQL,
 * {@code recordPending}) a lock only, and the record is inserted completed with the outcome.
 */
public final class JdbcClaim extends TransactionClaim {

    private final ClaimFound.Acquired acquired;

    /** The claim {@code acquired} in {@code transaction}, which it now owns and ends. */
    public JdbcClaim(Transaction transaction, SqlDialect dialect, ClaimRequest request, ClaimFound.Acquired acquired) {
        super(transaction, dialect, request);
        this.acquired = acquired;
    }

    @Override
    public long fencingToken() {
        return acquired.fencingToken();
    }

    @Override
    public void complete(StoredResponse response, Instant expiresAt) {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(expiresAt, "expiresAt");
        lifecycle.complete();
        try (transaction) {
            if (acquired.recordPending()) {
                if (!dialect.insertCompletedAndCommit(transaction, request, response, expiresAt)) {
                    throw new StoreException("A record of the claimed key was found where the claim's "
                            + "outcome was to be stored; was the table changed underneath?");
                }
            } else if (!dialect.complete(transaction.connection(), request.key(), acquired.fencingToken(), response,
                    expiresAt)) {
                throw new StoreException("The claim of a key was not found while storing its outcome; "
                        + "was the table changed underneath?");
            }
            // After insertCompletedAndCommit the transaction may have ended already, and this is a no-op for the
            // driver; it keeps the pool's own bookkeeping of the connection's transaction state right.
            transaction.commit();
        } catch (SQLException e) {
            throw SqlErrors.translate("storing the outcome of an idempotency key", e);
        }
    }
}
