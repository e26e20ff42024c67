package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.StoreException;
import java.lang.System.Logger.Level;
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

    private static final System.Logger LOG = System.getLogger(JdbcClaim.class.getName());

    private final DataSource pool;
    private final Connection connection;
    private final boolean restoreAutoCommit;
    private final SqlDialect dialect;
    private final ClaimRequest request;
    private final long fencingToken;
    private final boolean recordPending;
    private final ClaimLifecycle lifecycle;

    public JdbcClaim(DataSource pool, Connection connection, boolean restoreAutoCommit, SqlDialect dialect,
            ClaimRequest request, long fencingToken, boolean recordPending) {
        this.pool = pool;
        this.connection = connection;
        this.restoreAutoCommit = restoreAutoCommit;
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
        TransactionBinding.bind(pool, connection);
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
        lifecycle.complete();
        try {
            if (recordPending) {
                if (!dialect.insertCompletedAndCommit(connection, request, response, expiresAt)) {
                    throw new StoreException("A record of " + request.key() + " was found where the claim's "
                            + "outcome was to be stored; was the table changed underneath?");
                }
            } else if (!dialect.complete(connection, request.key(), fencingToken, response, expiresAt)) {
                throw new StoreException("The claim of " + request.key() + " was not found while storing its outcome; "
                        + "was the table changed underneath?");
            }
            // After insertCompletedAndCommit the transaction has ended and this is a no-op for the driver; it
            // keeps the pool's own bookkeeping of the connection's transaction state right.
            connection.commit();
        } catch (SQLException e) {
            rollbackQuietly();
            throw SqlErrors.translate("storing the outcome of idempotency key " + request.key().key(), e);
        } catch (RuntimeException e) {
            rollbackQuietly();
            throw e;
        } finally {
            release();
        }
    }

    @Override
    public void abandon() {
        if (lifecycle.abandon()) {
            rollbackQuietly();
            release();
        }
    }

    @Override
    public void close() {
        abandon();
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // The database rolls back a transaction whose connection is gone; nothing else to do.
            LOG.log(Level.DEBUG, "Rollback of an idempotency claim failed", e);
        }
    }

    private void release() {
        try {
            if (restoreAutoCommit) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Could not restore auto-commit on a released connection", e);
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Closing an idempotency claim's connection failed", e);
        }
    }
}
