package dev.idempotency.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One database transaction of this library's JDBC components (a claim of the store, an inbox delivery, a
 * relay's claim or mark, a purge), from the {@link Transactions} of its component. Statements run on
 * {@link #connection()}; beginning, committing and rolling back it, binding it to the thread for the
 * application's writes, and the changes of the connection's settings these need, happen here and nowhere
 * else, so that another kind of transaction (one a framework manages) can take this one's place.
 *
 * <p>{@link #close()} always: it rolls back what was not committed, restores every setting of the connection
 * that the transaction changed and releases the connection; it never throws. A transaction belongs to one
 * thread at a time.
 */
public interface Transaction extends AutoCloseable {

    /** Work run with the transaction bound to the thread, which may throw anything. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Exception;
    }

    /** Statements run on a connection. */
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** The transaction's connection, for statements: never commit, roll back or close it directly. */
    Connection connection();

    /**
     * Runs {@code work} with this transaction bound to the current thread, so that a
     * {@link dev.idempotency.jdbc.TransactionJoiningDataSource} over the component's pool hands out its
     * connection, and the work's writes join it.
     *
     * @throws Exception whatever {@code work} throws, unchanged
     * @throws IllegalStateException if a transaction is bound on this pool already: they do not nest
     */
    <T> T bind(Work<T> work) throws Exception;

    /**
     * Rolls back what the transaction did so far and goes on in a fresh one on the same connection: for a
     * statement that failed in a way that taints the rest of its transaction.
     */
    void restart() throws SQLException;

    /**
     * Rolls back what the transaction did so far and runs {@code read} in a transaction of its own at READ
     * UNCOMMITTED, rolled back after it; the connection's isolation is then what it was.
     */
    <T> T readUncommitted(SqlWork<T> read) throws SQLException;

    /**
     * Whether a statement may end this transaction with a {@code COMMIT} of its own, saving the round trip of
     * {@link #commit()}, which must still follow it. A transaction of this library's own allows it; one that a
     * framework manages, which may flush writes of its own when it commits, would not.
     */
    boolean commitInStatementAllowed();

    /** Commits; the transaction is over either way. */
    void commit() throws SQLException;

    /** Rolls back, logging (not throwing) a failure: a broken connection has no transaction left. */
    void rollback();

    /** Rolls back unless committed, restores the connection's settings and releases it. Never throws. */
    @Override
    void close();
}
