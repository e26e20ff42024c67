package dev.idempotency.jdbc;

import dev.idempotency.jdbc.internal.JoinedConnection;
import dev.idempotency.jdbc.internal.TransactionBinding;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The DataSource an application gives its handlers (plain JDBC, Jdbi, jOOQ, anything that takes a
 * DataSource) so their writes join the idempotent request's transaction.
 *
 * <p>Inside an idempotent request, on the thread running the handler, {@link #getConnection()} hands out
 * the request's own connection: the business rows and the stored outcome then commit or roll back
 * together. Closing that connection only releases the handle; {@code commit()}, {@code rollback()} and
 * {@code setAutoCommit(true)} on it throw, because the filter ends the transaction. Everywhere else (other
 * requests, other threads, start-up code) it is the wrapped pool, unchanged.
 *
 * <p>Work the handler hands to another thread does not join: it gets its own pooled connection.
 */
public final class TransactionJoiningDataSource implements DataSource {

    private final DataSource target;

    TransactionJoiningDataSource(DataSource target) {
        this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * A joining DataSource over {@code pool}: it joins the transactions that this library's JDBC
     * components (the idempotency store, the inbox, the outbox) open on that same pool instance.
     */
    public static TransactionJoiningDataSource over(DataSource pool) {
        return new TransactionJoiningDataSource(pool);
    }

    /**
     * The pool this DataSource wraps: the one whose transactions it joins. Give it to another component
     * of this library (an inbox, an outbox) so that it joins the same transactions.
     */
    public DataSource pool() {
        return target;
    }

    /** Whether the current thread is inside an idempotent request on this DataSource's pool. */
    public boolean isInIdempotentRequest() {
        return TransactionBinding.current(target) != null;
    }

    /** The request's connection inside an idempotent request, otherwise a connection of the pool. */
    @Override
    public Connection getConnection() throws SQLException {
        Connection bound = TransactionBinding.current(target);
        return bound != null ? JoinedConnection.wrap(bound) : target.getConnection();
    }

    /**
     * A connection for other credentials, which cannot join the request's transaction.
     *
     * @throws SQLException inside an idempotent request
     */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        if (isInIdempotentRequest()) {
            throw new SQLException("getConnection(username, password) cannot join the idempotent request's "
                    + "transaction; use getConnection() inside an idempotent request");
        }
        return target.getConnection(username, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : target.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || target.isWrapperFor(iface);
    }

    @Override
    public String toString() {
        return "TransactionJoiningDataSource[" + Redaction.redact(String.valueOf(target)) + "]";
    }
}
