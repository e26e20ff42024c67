package dev.idempotency.jdbc.internal;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A transaction of this library's own on a connection of a pool, from {@link LocalTransactions#begin()}.
 * {@link #close()} rolls back whatever was not committed, restores the auto-commit and the isolation it
 * changed and returns the connection to the pool; it never throws.
 */
public final class LocalTransaction implements Transaction {

    /** The isolation a transaction did not change, and need not restore. */
    static final int UNCHANGED = -1;

    private static final System.Logger LOG = System.getLogger(LocalTransaction.class.getName());

    private final DataSource pool;
    private final Connection connection;
    private final boolean restoreAutoCommit;
    private final int restoreIsolation;
    private boolean open = true;

    LocalTransaction(DataSource pool, Connection connection, boolean restoreAutoCommit, int restoreIsolation) {
        this.pool = pool;
        this.connection = connection;
        this.restoreAutoCommit = restoreAutoCommit;
        this.restoreIsolation = restoreIsolation;
    }

    @Override
    public Connection connection() {
        return connection;
    }

    @Override
    public <T> T bind(Work<T> work) throws Exception {
        TransactionBinding.bind(pool, connection);
        try {
            return work.run();
        } finally {
            TransactionBinding.unbind(pool);
        }
    }

    @Override
    public void restart() throws SQLException {
        connection.rollback();
    }

    @Override
    public <T> T readUncommitted(SqlWork<T> read) throws SQLException {
        return readUncommitted(connection, read);
    }

    /**
     * {@link Transaction#readUncommitted} on {@code connection}: rolls back, reads at READ UNCOMMITTED, rolls
     * back again and puts the isolation back, for every kind of transaction.
     */
    public static <T> T readUncommitted(Connection connection, SqlWork<T> read) throws SQLException {
        connection.rollback();
        int isolation = connection.getTransactionIsolation();
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_UNCOMMITTED);
        try {
            return read.run(connection);
        } finally {
            connection.rollback();
            connection.setTransactionIsolation(isolation);
        }
    }

    @Override
    public boolean commitInStatementAllowed() {
        return true;
    }

    @Override
    public void commit() throws SQLException {
        open = false;
        connection.commit();
    }

    @Override
    public void rollback() {
        open = false;
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Rollback failed; the database discards the transaction of a broken connection", e);
        }
    }

    @Override
    public void close() {
        if (open) {
            rollback();
        }
        try {
            if (restoreIsolation != UNCHANGED) {
                connection.setTransactionIsolation(restoreIsolation);
            }
            if (restoreAutoCommit) {
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Could not restore the settings of a released connection", e);
        }
        closeQuietly(connection, null);
    }

    /** Closes {@code connection}, adding a failure to {@code failure} if there is one, or else logging it. */
    static void closeQuietly(Connection connection, Throwable failure) {
        try {
            connection.close();
        } catch (SQLException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.log(Level.DEBUG, "Closing a connection failed", e);
            }
        }
    }
}
