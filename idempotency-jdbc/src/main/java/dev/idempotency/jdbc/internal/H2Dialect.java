package dev.idempotency.jdbc.internal;

import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * H2: the in-progress row is inserted at once; a concurrent claimer's insert meets the uncommitted row,
 * and with the session's lock timeout at a millisecond for the claim it fails at once (lock timeout)
 * instead of waiting, which reads as "busy". The timeout is restored before the handler runs.
 */
final class H2Dialect extends SqlDialect {

    private final String insert = "INSERT INTO " + TABLE + " " + INSERT_COLUMNS + " VALUES (" + insertValues() + ")";
    /**
     * A claim should not wait for another transaction's lock: meeting one means "busy". One millisecond,
     * because H2 2.x treats a zero timeout on an UPDATE's row lock as "the default" (2 s).
     */
    private static final int CLAIM_LOCK_TIMEOUT_MILLIS = 1;

    @Override
    protected String now() {
        return "CURRENT_TIMESTAMP";
    }

    @Override
    protected String leaseExpiry(String millis) {
        return "CASE WHEN " + millis + " > 0 THEN DATEADD(MILLISECOND, " + millis + ", CURRENT_TIMESTAMP) END";
    }

    @Override
    public ClaimFound claim(Connection connection, ClaimRequest request) throws SQLException {
        int previousTimeout = lockTimeout(connection);
        setLockTimeout(connection, CLAIM_LOCK_TIMEOUT_MILLIS);
        ClaimFound found;
        try {
            found = claimWithoutWaiting(connection, request);
        } finally {
            setLockTimeout(connection, previousTimeout);
        }
        return found == BUSY_HOLDER_UNSEEN ? busyWithTheHoldersFingerprint(connection, request) : found;
    }

    /** Busy because another transaction holds the key's row; its in-progress row is not committed. */
    private static final ClaimFound BUSY_HOLDER_UNSEEN = ClaimFound.busy(ClaimResult.Busy.unknown());

    /**
     * The holder of a key in transaction mode has not committed its in-progress row, so a committed read
     * cannot see whose request it is. Reading it uncommitted can: its fingerprint is written by the claim
     * and never changes, so it tells a retry of the holder's request (409) from another request under the
     * key (422). Nothing else is decided on what is read this way.
     */
    private ClaimFound busyWithTheHoldersFingerprint(Connection connection, ClaimRequest request)
            throws SQLException {
        connection.rollback();
        int isolation = connection.getTransactionIsolation();
        connection.setTransactionIsolation(Connection.TRANSACTION_READ_UNCOMMITTED);
        try {
            Row row = read(connection, request.key());
            if (row == null || !"IN_PROGRESS".equals(row.state())) {
                return BUSY_HOLDER_UNSEEN;
            }
            return ClaimFound.busy(ClaimResult.Busy.heldFor(row.fingerprint()));
        } finally {
            connection.rollback();
            connection.setTransactionIsolation(isolation);
        }
    }

    private ClaimFound claimWithoutWaiting(Connection connection, ClaimRequest request) throws SQLException {
        for (int attempt = 0; attempt < 3; attempt++) {
            try (PreparedStatement ps = connection.prepareStatement(insert)) {
                bindInsert(ps, 1, request);
                ps.executeUpdate();
                return ClaimFound.acquired(1);
            } catch (SQLException e) {
                if (e.getErrorCode() == SqlErrors.H2_LOCK_TIMEOUT) {
                    return BUSY_HOLDER_UNSEEN;
                }
                if (!SqlErrors.isUniqueViolation(e)) {
                    throw e;
                }
            }
            // Nothing else happened in this transaction yet, so start afresh: after a failed insert, H2
            // 2.x ignores the lock timeout for the rest of the transaction, and the reclaim below would
            // wait for a concurrent reclaimer instead of reporting it busy.
            connection.rollback();
            Row row = read(connection, request.key());
            if (row == null) {
                continue; // purged between the insert and the read: try the insert again
            }
            if (!reclaimable(row, request)) {
                return judge(row);
            }
            try {
                long token = reclaim(connection, request, row);
                if (token > 0) {
                    return ClaimFound.acquired(token);
                }
            } catch (SQLException e) {
                if (e.getErrorCode() == SqlErrors.H2_LOCK_TIMEOUT) {
                    return BUSY_HOLDER_UNSEEN;
                }
                throw e;
            }
        }
        return BUSY_HOLDER_UNSEEN;
    }

    private static int lockTimeout(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT LOCK_TIMEOUT()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void setLockTimeout(Connection connection, int millis) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SET LOCK_TIMEOUT " + millis);
        }
    }
}
