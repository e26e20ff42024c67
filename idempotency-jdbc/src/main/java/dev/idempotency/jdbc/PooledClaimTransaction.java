package dev.idempotency.jdbc;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** {@link ClaimTransactions#pooled()}: a transaction of the store's own on a connection of its pool. */
final class PooledClaimTransaction implements ClaimTransactions.ClaimTransaction {

    private static final System.Logger LOG = System.getLogger(PooledClaimTransaction.class.getName());

    private final Connection connection;
    private final boolean restoreAutoCommit;
    private final int restoreIsolation;
    private boolean ended;

    private PooledClaimTransaction(Connection connection, boolean restoreAutoCommit, int restoreIsolation) {
        this.connection = connection;
        this.restoreAutoCommit = restoreAutoCommit;
        this.restoreIsolation = restoreIsolation;
    }

    static ClaimTransactions.ClaimTransaction begin(DataSource pool, boolean readCommitted) throws SQLException {
        Connection connection = pool.getConnection();
        try {
            boolean autoCommit = connection.getAutoCommit();
            if (autoCommit) {
                connection.setAutoCommit(false);
            }
            int isolation = -1;
            if (readCommitted) {
                isolation = connection.getTransactionIsolation();
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            return new PooledClaimTransaction(connection, autoCommit, isolation);
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public Connection connection() {
        return connection;
    }

    @Override
    public boolean maySendCommit() {
        return true;
    }

    @Override
    public void commit() throws SQLException {
        try {
            // After a COMMIT sent with the outcome this is a no-op for the driver; it keeps the pool's bookkeeping
            // of the connection's transaction state right.
            connection.commit();
        } catch (SQLException e) {
            rollbackQuietly();
            throw e;
        } finally {
            end();
        }
    }

    @Override
    public void rollback() {
        rollbackQuietly();
        end();
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Rollback of an idempotency claim failed; the database discards the transaction "
                    + "of a broken connection", e);
        }
    }

    /** Restores what {@link #begin} changed and returns the connection to the pool; once. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        try {
            if (restoreIsolation >= 0) {
                connection.setTransactionIsolation(restoreIsolation);
            }
            if (restoreAutoCommit) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Could not restore the settings of a released connection", e);
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Closing an idempotency claim's connection failed", e);
        }
    }
}
