package dev.idempotency.jdbc.internal;

import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;

/**
 * H2: the in-progress row is inserted at once; a concurrent claimer's insert meets the uncommitted row,
 * and with the session's lock timeout at a millisecond for the claim it fails at once (lock timeout)
 * instead of waiting, which reads as "busy". The timeout is restored before the handler runs.
 *
 * <p>The inbox's marker insert is H2's own too ({@link #inbox()}).
 */
final class H2Dialect extends SqlDialect {

    /** The in-progress row's insert, returning the fencing token the database chose (a data change delta table). */
    private final String insert = "SELECT fencing_token FROM FINAL TABLE (INSERT INTO " + TABLE + " " + INSERT_COLUMNS
            + " VALUES (" + insertValues() + "))";
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
    protected String nowMicros() {
        return "DATEDIFF(MICROSECOND, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', CURRENT_TIMESTAMP)";
    }

    @Override
    protected String leaseExpiry(String millis) {
        return "CASE WHEN " + millis + " > 0 THEN DATEADD(MILLISECOND, " + millis + ", CURRENT_TIMESTAMP) END";
    }

    @Override
    public InboxSql inbox() {
        return INBOX;
    }

    /** Transaction mode and lease mode claim alike here: the in-progress row, with a lease or without. */
    @Override
    public ClaimFound claimInTransaction(Transaction transaction, ClaimRequest request) throws SQLException {
        return claim(transaction, request, 0);
    }

    @Override
    public ClaimFound claimLease(Transaction transaction, ClaimRequest request) throws SQLException {
        return claim(transaction, request, leaseMillis(request));
    }

    private ClaimFound claim(Transaction transaction, ClaimRequest request, long leaseMillis) throws SQLException {
        Connection connection = transaction.connection();
        int previousTimeout = lockTimeout(connection);
        setLockTimeout(connection, CLAIM_LOCK_TIMEOUT_MILLIS);
        ClaimFound found;
        try {
            found = claimWithoutWaiting(transaction, request, leaseMillis);
        } finally {
            setLockTimeout(connection, previousTimeout);
        }
        return found == BUSY_HOLDER_UNSEEN ? busyWithTheHoldersFingerprint(transaction, request) : found;
    }

    /** Busy because another transaction holds the key's row; its in-progress row is not committed. */
    private static final ClaimFound BUSY_HOLDER_UNSEEN = busy(ClaimResult.Busy.unknown());

    /**
     * The holder of a key in transaction mode has not committed its in-progress row, so a committed read
     * cannot see whose request it is. Reading it uncommitted can: its fingerprint is written by the claim
     * and never changes, so it tells a retry of the holder's request (409) from another request under the
     * key (422). Nothing else is decided on what is read this way.
     */
    private ClaimFound busyWithTheHoldersFingerprint(Transaction transaction, ClaimRequest request)
            throws SQLException {
        Row row = transaction.readUncommitted(connection -> read(connection, request.key()));
        if (row == null || row.completed()) {
            return BUSY_HOLDER_UNSEEN;
        }
        return busy(ClaimResult.Busy.heldFor(row.fingerprint()));
    }

    private ClaimFound claimWithoutWaiting(Transaction transaction, ClaimRequest request, long leaseMillis)
            throws SQLException {
        Connection connection = transaction.connection();
        for (int attempt = 0; attempt < 3; attempt++) {
            try (PreparedStatement ps = connection.prepareStatement(insert)) {
                bindInsert(ps, 1, request, leaseMillis);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return ClaimFound.Acquired.withRecord(rs.getLong(1));
                }
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
            transaction.restart();
            Row row = read(connection, request.key());
            if (row == null) {
                continue; // purged between the insert and the read: try the insert again
            }
            if (!reclaimable(row, request)) {
                return occupied(row);
            }
            try {
                ClaimFound reclaimed = reclaim(connection, request, row, leaseMillis);
                if (reclaimed instanceof ClaimFound.Acquired) {
                    return reclaimed;
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

    /** Besides a unique violation, the lock timeout: another transaction's record of the key outlasted it. */
    @Override
    protected boolean keyTaken(SQLException e) {
        return super.keyTaken(e) || e.getErrorCode() == SqlErrors.H2_LOCK_TIMEOUT;
    }

    private static final InboxSql INBOX = new Inbox();

    /** The inbox's marker insert on H2. */
    private static final class Inbox extends InboxSql {

        Inbox() {
            super(SqlTimes.WITH_TIME_ZONE);
        }

        @Override
        public boolean insertMarker(Transaction transaction, String consumer, String messageId, Instant appliedAt,
                Instant expiresAt, byte[] digest) throws SQLException {
            // H2 waits for a conflicting uncommitted marker's transaction as PostgreSQL does, up to its lock
            // timeout, then fails with a duplicate key if it committed.
            return insertWaitingThroughLockTimeouts(transaction, consumer, messageId, appliedAt, expiresAt, digest,
                    e -> e.getErrorCode() == SqlErrors.H2_LOCK_TIMEOUT);
        }
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
