package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.jdbc.ClaimTransactions;
import dev.idempotency.spi.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A claim held as an open transaction on one connection: the claim, the handler's writes and the outcome
 * commit together in {@link #complete}, or roll back together. The claim is an in-progress row, or (on
 * PostgreSQL, {@code recordPending}) a lock only, and the record is inserted completed with the outcome.
 */
public final class JdbcClaim implements Claim {

    private final DataSource pool;
    private final ClaimTransactions.ClaimTransaction transaction;
    private final SqlDialect dialect;
    private final ClaimRequest request;
    private final long fencingToken;
    private final boolean recordPending;
    private final ClaimLifecycle lifecycle;

    public JdbcClaim(DataSource pool, ClaimTransactions.ClaimTransaction transaction, SqlDialect dialect,
            ClaimRequest request, long fencingToken, boolean recordPending) {
        this.pool = pool;
        this.transaction = transaction;
        this.dialect = dialect;
        this.request = request;
        this.fencingToken = fencingToken;
        this.recordPending = recordPending;
        this.lifecycle = new ClaimLifecycle(request.key().toString());
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public <T> T execute(Work<T> work) throws Exception {
        lifecycle.requireOpen("execute");
        TransactionBinding.bind(pool, transaction.connection());
        try {
            return work.run();
        } finally {
            TransactionBinding.unbind(pool);
        }
    }

    @Override
    public void complete(StoredResponse response, Instant expiresAt) {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(expiresAt, "expiresAt");
        lifecycle.completed();
        Connection connection = transaction.connection();
        boolean committing = false;
        try {
            if (recordPending) {
                boolean inserted = transaction.maySendCommit()
                        ? dialect.insertCompletedAndCommit(connection, request, response, expiresAt)
                        : dialect.insertCompleted(connection, request, response, expiresAt);
                if (!inserted) {
                    throw new StoreException("A record of " + request.key() + " was found where the claim's "
                            + "outcome was to be stored; was the table changed underneath?");
                }
            } else if (!dialect.complete(connection, request.key(), fencingToken, response, expiresAt)) {
                throw new StoreException("The claim of " + request.key() + " was not found while storing its outcome; "
                        + "was the table changed underneath?");
            }
            committing = true;
            transaction.commit();
        } catch (SQLException e) {
            if (!committing) {
                transaction.rollback();
            }
            throw SqlErrors.translate("storing the outcome of idempotency key " + request.key().key(), e);
        } catch (RuntimeException e) {
            if (!committing) {
                transaction.rollback();
            }
            throw e;
        }
    }

    @Override
    public void abandon() {
        if (lifecycle.abandon()) {
            transaction.rollback();
        }
    }

    @Override
    public void close() {
        abandon();
    }
}
