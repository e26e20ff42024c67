package dev.idempotency.jdbc.internal;

import dev.idempotency.jdbc.Redaction;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/**
 * Sorts SQL failures into "retry later" ({@link StoreUnavailableException}: the database is down or
 * unreachable, the pool is exhausted, the connection broke, the database asked for a retry) and
 * everything else ({@link StoreException}).
 */
public final class SqlErrors {

    /** The SQLState of a unique or primary key violation, on PostgreSQL and H2 alike. */
    public static final String UNIQUE_VIOLATION = "23505";

    /** H2's error code for a lock not had within the session's lock timeout (SQLState {@code HYT00}). */
    public static final int H2_LOCK_TIMEOUT = 50200;

    /** MariaDB and MySQL: a duplicate key (SQLState {@code 23000}, shared with other integrity violations). */
    static final int MYSQL_DUPLICATE_KEY = 1062;

    /**
     * MariaDB and MySQL error codes for a lock not had: the lock wait timeout (1205, which MariaDB also
     * answers to {@code NOWAIT}), MySQL's answer to {@code NOWAIT} (3572), and a deadlock, whose victim's whole
     * transaction was rolled back (1213).
     */
    private static final Set<Integer> MYSQL_LOCK_NOT_HAD = Set.of(1205, 3572, 1213);

    /** MariaDB and MySQL error codes that mean the server is going away (shutdown in progress, killed). */
    private static final Set<Integer> MYSQL_UNAVAILABLE_CODES = Set.of(1053, 1927);

    /** SQLStates a retry can fix. */
    private static final Set<String> TRANSIENT_STATES = Set.of(
            "40001", // serialization failure
            "40P01", // deadlock detected
            "53300", // too many connections
            "55P03", // lock not available
            "57014", // query cancelled (statement timeout)
            "57P01", // admin shutdown
            "57P02", // crash shutdown
            "57P03", // cannot connect now
            "HYT00", // H2: lock timeout
            "HYT01");

    /** H2 error codes that mean the database is gone or shutting down. */
    private static final Set<Integer> H2_UNAVAILABLE_CODES = Set.of(90067, 90098, 90121, 90020);

    /**
     * H2 error codes that mean a connection is dead for good: broken (90067), or its database closed under
     * it (90098, 90121). H2 reports them with SQLStates of their own, outside the connection-exception class
     * 08 that pools recognise.
     */
    private static final Set<Integer> H2_CONNECTION_GONE_CODES = Set.of(90067, 90098, 90121);

    private SqlErrors() {
    }

    /** Whether {@code e}, or a cause of it, says the database could not serve the request now. */
    public static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof java.sql.SQLNonTransientConnectionException
                    || t instanceof java.net.SocketException || t instanceof java.io.EOFException) {
                return true;
            }
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || TRANSIENT_STATES.contains(state))) {
                    return true;
                }
                if (H2_UNAVAILABLE_CODES.contains(sql.getErrorCode())) {
                    return true;
                }
                if (isMysqlFamily(sql) && (MYSQL_LOCK_NOT_HAD.contains(sql.getErrorCode())
                        || MYSQL_UNAVAILABLE_CODES.contains(sql.getErrorCode()))) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** Whether {@code e} itself is a unique or primary key violation. */
    public static boolean isUniqueViolation(SQLException e) {
        return UNIQUE_VIOLATION.equals(e.getSQLState())
                || ("23000".equals(e.getSQLState()) && e.getErrorCode() == MYSQL_DUPLICATE_KEY);
    }

    /**
     * Whether {@code e} itself says, on MariaDB or MySQL, that a lock was not had: at once ({@code NOWAIT}, or
     * a lock wait timeout of 0), after the lock wait timeout, or as a deadlock's victim.
     */
    public static boolean isMysqlLockNotHad(SQLException e) {
        return isMysqlFamily(e) && MYSQL_LOCK_NOT_HAD.contains(e.getErrorCode());
    }

    /**
     * MariaDB and MySQL errors carry SQLStates {@code HY000}, {@code 40001} or the like, which other engines share;
     * their error codes (1000 and up) are their own, while PostgreSQL reports 0 and H2's are above 2000 and
     * checked apart.
     */
    private static boolean isMysqlFamily(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.equals("HY000") || state.startsWith("40") || state.startsWith("08")
                || state.equals("70100"));
    }

    /**
     * Whether {@code e}, or a cause of it, says that the connection it came from can never serve again
     * (SQLState class 08, or H2's broken-connection and closed-database codes): a pool must discard it
     * rather than hand it out again.
     */
    public static boolean isConnectionGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if ((state != null && state.startsWith("08")) || H2_CONNECTION_GONE_CODES.contains(sql.getErrorCode())) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * The store exception for a SQL failure, with any password that {@code doing} or the failure's chain
     * quotes (a pool's description, a driver's message with its URL) {@linkplain Redaction redacted}.
     *
     * @param doing what the store was doing, completing "Failed while ..."
     */
    public static StoreException translate(String doing, SQLException e) {
        String message = Redaction.redact("Failed while " + doing + ": " + e.getMessage() + " (SQLState "
                + e.getSQLState() + ", error code " + e.getErrorCode() + ")");
        Throwable cause = RedactedThrowable.redactedCause(e, Set.of());
        return isTransient(e) ? new StoreUnavailableException(message, cause) : new StoreException(message, cause);
    }
}
