package dev.idempotency.jdbc.internal;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One transaction on a connection of a pool, opened by a component of this library for itself (the inbox,
 * the outbox relay): auto-commit off and, when the pool's default is another level, READ COMMITTED.
 * {@link #close()} rolls back whatever was not committed, restores the connection's settings and returns
 * it to the pool; it never throws.
 */
public final class LocalTransaction implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LocalTransaction.class.getName());

    private final Connection connection;
    private final boolean restoreAutoCommit;
    private final int restoreIsolation;
    private boolean open = true;

    private LocalTransaction(Connection connection, boolean restoreAutoCommit, int restoreIsolation) {
        this.connection = connection;
        this.restoreAutoCommit = restoreAutoCommit;
        this.restoreIsolation = restoreIsolation;
    }

    /**
     * Takes a connection from {@code pool} and starts a transaction on it.
     *
     * @param readCommitted whether to set READ COMMITTED (pass {@code true} when the pool's default differs)
     * @throws SQLException if no connection could be had or set up; nothing is left open
     */
    public static LocalTransaction begin(DataSource pool, boolean readCommitted) throws SQLException {
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
            return new LocalTransaction(connection, autoCommit, isolation);
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** The transaction's connection; do not commit, roll back or close it directly. */
    public Connection connection() {
        return connection;
    }

    /** Commits; the transaction is over either way. */
    public void commit() throws SQLException {
        open = false;
        connection.commit();
    }

    /** Rolls back, logging (not throwing) a failure: a broken connection has no transaction left. */
    public void rollbackQuietly() {
        open = false;
        try {
            connection.rollback();
        } catch (SQLException e) {
            LOG.log(Level.DEBUG, "Rollback failed; the database discards the transaction of a broken connection", e);
        }
    }

    /** Rolls back unless committed, restores the connection's settings and returns it to the pool. */
    @Override
    public void close() {
        if (open) {
            rollbackQuietly();
        }
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
            LOG.log(Level.DEBUG, "Closing a connection failed", e);
        }
    }
}
