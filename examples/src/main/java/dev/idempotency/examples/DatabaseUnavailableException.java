package dev.idempotency.examples;

import jakarta.servlet.ServletException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import org.eclipse.jetty.io.QuietException;

/**
 * A handler could not use the database because the database cannot serve it now: unreachable, down, its
 * connection lost, a transient failure it asks to retry, or the pool's connections all taken until the pool's
 * timeout. The error page answers it 503 with
 * {@code Retry-After}, as the idempotency filter answers a covered request that cannot claim its key; any
 * other SQL failure stays a 500.
 *
 * <p>Quiet: it is an expected condition while the database is away, not a fault of the server, so Jetty
 * logs no stack trace for each request that meets it (the store and {@code GET /health} report the outage).
 */
final class DatabaseUnavailableException extends ServletException implements QuietException {

    private static final long serialVersionUID = 1L;

    private DatabaseUnavailableException(String message, SQLException cause) {
        super(message + ": the database cannot serve it now", cause);
    }

    /**
     * The exception a handler throws for {@code cause}: this one when it says the database is unavailable,
     * otherwise a plain {@link ServletException}. Unavailable, by the JDBC standard's own signs: a transient
     * or recoverable failure (Hikari's "connection is not available" is a {@code SQLTransientConnectionException}),
     * a connection that cannot be used again, or SQLState class 08 (connection exception).
     *
     * @param doing what the handler could not do, such as "Could not list the posts of an account"
     */
    static ServletException of(String doing, SQLException cause) {
        return unavailable(cause) ? new DatabaseUnavailableException(doing, cause) : new ServletException(doing, cause);
    }

    /**
     * Whether {@code failure} is this exception or was caused by what it stands for. The error page is given
     * the cause: the container unwraps a {@link ServletException} before it dispatches to the error page.
     */
    static boolean in(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof DatabaseUnavailableException || t instanceof SQLException sql && unavailable(sql)) {
                return true;
            }
        }
        return false;
    }

    private static boolean unavailable(SQLException failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }
}
