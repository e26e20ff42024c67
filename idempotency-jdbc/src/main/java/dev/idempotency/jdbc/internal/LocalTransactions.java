package dev.idempotency.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The transactions a component of this library opens for itself, each on a connection of its pool: auto-commit
 * off and, when the pool's default is another level, READ COMMITTED; both are restored before the connection
 * goes back to the pool. Also single statements in auto-commit mode, for the few that commit on their own.
 */
public final class LocalTransactions implements Transactions {

    private final DataSource pool;
    private final boolean forceReadCommitted;

    /**
     * Transactions on {@code pool}.
     *
     * @param forceReadCommitted whether to set READ COMMITTED ({@code true} when the pool's default differs)
     */
    public LocalTransactions(DataSource pool, boolean forceReadCommitted) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.forceReadCommitted = forceReadCommitted;
    }

    /** The pool the transactions run on. */
    public DataSource pool() {
        return pool;
    }

    @Override
    public LocalTransaction begin() throws SQLException {
        Connection connection = pool.getConnection();
        try {
            boolean autoCommit = connection.getAutoCommit();
            if (autoCommit) {
                connection.setAutoCommit(false);
            }
            int isolation = LocalTransaction.UNCHANGED;
            if (forceReadCommitted) {
                isolation = connection.getTransactionIsolation();
                connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            return new LocalTransaction(pool, connection, autoCommit, isolation);
        } catch (SQLException | RuntimeException e) {
            LocalTransaction.closeQuietly(connection, e);
            throw e;
        }
    }

    /** Runs {@code work} in a transaction and commits it; a failure rolls it back. */
    public <T> T inTransaction(Transaction.SqlWork<T> work) throws SQLException {
        try (LocalTransaction transaction = begin()) {
            T result = work.run(transaction.connection());
            transaction.commit();
            return result;
        }
    }

    /**
     * Runs {@code work} on a connection in auto-commit mode, each statement committing on its own: one round
     * trip a statement. Auto-commit is restored if the pool's default is off.
     */
    public <T> T autoCommitted(Transaction.SqlWork<T> work) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                connection.setAutoCommit(true);
            }
            try {
                return work.run(connection);
            } finally {
                if (!autoCommit) {
                    connection.setAutoCommit(false);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "LocalTransactions[" + pool + (forceReadCommitted ? ", READ COMMITTED" : "") + "]";
    }
}
