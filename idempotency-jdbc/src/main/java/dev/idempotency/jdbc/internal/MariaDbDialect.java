package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * MariaDB (10.6 and later) and MySQL (8.0.1 and later), on InnoDB: the claim is the key's in-progress row, as on
 * H2, and a claim never waits for another transaction's lock on it.
 *
 * <p>A claim first reads the key's row with a locking read, {@code FOR UPDATE NOWAIT}, unless a plain read
 * finds it completed (replays of one key run side by side, and a locking read would queue them). A locking read
 * sees the newest committed row whatever the transaction's snapshot, and meets the uncommitted row of a holder
 * at once: {@code NOWAIT} fails it, which reads as "busy". With no row there the claim inserts one; with an
 * expired one it takes it over. Between the locking read and the insert another claim may insert the same key;
 * the insert then meets that uncommitted row and would wait for its whole transaction. On MariaDB the insert runs
 * with {@code innodb_lock_wait_timeout} at 0 for that statement alone ({@code SET STATEMENT ... FOR}, so it fails
 * at once) and returns the new record's fencing token ({@code RETURNING}): a new key costs three statements. MySQL
 * has neither, so there the claim's statements run with the session's timeout at its least (1 second) and the
 * value the session had is put back before the handler runs, and the token is read after the insert.
 * The primary key stays the last word: a duplicate key fails the insert, and the claim reads again.
 *
 * <p>No {@code GET_LOCK}: it is a lock of the session, not of the transaction; a commit or a rollback does not
 * release it, so a claim ended by either would still hold its key, on a pooled connection that lives on.
 *
 * <p>Times are {@code DATETIME(6)} in UTC ({@link SqlTimes#UTC_DATETIME}), and the database's clock is
 * {@code UTC_TIMESTAMP(6)}, which the session's {@code time_zone} does not move, to the microsecond.
 */
final class MariaDbDialect extends SqlDialect {

    /** The least {@code innodb_lock_wait_timeout} each engine takes, in seconds: MariaDB 0 means "do not wait". */
    private final int leastLockWaitSeconds;

    /** The largest statement the server accepts ({@code max_allowed_packet}), or 0 if not known. */
    private final long maxStatementBytes;

    private final String insert = "INSERT INTO " + TABLE + " " + INSERT_COLUMNS + " VALUES (" + insertValues() + ")";

    /**
     * MariaDB's claim insert: it never waits (the session's lock wait timeout set for this statement alone) and
     * returns the fencing token the database chose, so a claim costs no statements around it. {@code null} on
     * MySQL, which has neither {@code SET STATEMENT} nor {@code RETURNING}.
     */
    private final String insertWithoutWaiting;

    private final String lockRow = "SELECT " + ROW_COLUMNS + ", " + now() + " FROM " + TABLE
            + " WHERE " + KEY_IS + " FOR UPDATE NOWAIT";

    /**
     * Rows a claim holds are locked; SKIP LOCKED leaves them, and lets concurrent purges share the work. Neither
     * engine takes a LIMIT in a subquery of a delete, so the rows are locked first and deleted by key after.
     */
    private final String selectExpired = "SELECT key_digest FROM " + TABLE + " WHERE expires_at <= ? "
            + "AND (lease_expires_at IS NULL OR lease_expires_at <= " + now() + ") ORDER BY expires_at LIMIT ? "
            + "FOR UPDATE SKIP LOCKED";

    private final InboxSql inbox = new Inbox();

    MariaDbDialect(DatabaseEngine engine, long maxStatementBytes) {
        this.leastLockWaitSeconds = engine == DatabaseEngine.MARIADB ? 0 : 1;
        this.maxStatementBytes = maxStatementBytes;
        this.insertWithoutWaiting = engine == DatabaseEngine.MARIADB
                ? "SET STATEMENT innodb_lock_wait_timeout = 0 FOR " + insert + " RETURNING fencing_token" : null;
    }

    @Override
    protected String now() {
        // UTC_TIMESTAMP(6): the session's time_zone moves NOW() and CURRENT_TIMESTAMP, and without (6) they drop
        // the microseconds.
        return "UTC_TIMESTAMP(6)";
    }

    @Override
    protected String firstRows(String n) {
        return "LIMIT " + n; // MySQL has no FETCH FIRST
    }

    @Override
    protected String nowMicros() {
        return "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))";
    }

    @Override
    protected String leaseExpiry(String millis) {
        return "CASE WHEN " + millis + " > 0 THEN UTC_TIMESTAMP(6) + INTERVAL (" + millis + " * 1000) MICROSECOND END";
    }

    @Override
    public SqlTimes times() {
        return SqlTimes.UTC_DATETIME;
    }

    @Override
    public InboxSql inbox() {
        return inbox;
    }

    @Override
    public OutboxSql outbox() {
        return OutboxSql.MYSQL;
    }

    @Override
    public ClaimFound claimInTransaction(Transaction transaction, ClaimRequest request) throws SQLException {
        return claim(transaction, request, 0);
    }

    @Override
    public ClaimFound claimLease(Transaction transaction, ClaimRequest request) throws SQLException {
        return claim(transaction, request, leaseMillis(request));
    }

    private ClaimFound claim(Transaction transaction, ClaimRequest request, long leaseMillis) throws SQLException {
        if (insertWithoutWaiting != null) {
            // MariaDB: the insert, the only statement of the claim that could wait, says so itself.
            ClaimFound found = claimWithoutWaiting(transaction, request, leaseMillis);
            return found == BUSY_HOLDER_UNSEEN ? busyWithTheHoldersFingerprint(transaction, request) : found;
        }
        Connection connection = transaction.connection();
        int previous = lockWaitTimeout(connection);
        setLockWaitTimeout(connection, leastLockWaitSeconds);
        ClaimFound found;
        try {
            found = claimWithoutWaiting(transaction, request, leaseMillis);
        } finally {
            setLockWaitTimeout(connection, previous);
        }
        return found == BUSY_HOLDER_UNSEEN ? busyWithTheHoldersFingerprint(transaction, request) : found;
    }

    /** Busy because another transaction holds the key's row, which may not be committed. */
    private static final ClaimFound BUSY_HOLDER_UNSEEN = busy(ClaimResult.Busy.unknown());

    private ClaimFound claimWithoutWaiting(Transaction transaction, ClaimRequest request, long leaseMillis)
            throws SQLException {
        Connection connection = transaction.connection();
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                // A committed row that is in the way (completed, or a live lease) is answered from a plain read:
                // replays of one key run side by side. A transaction-mode holder's row is uncommitted, and
                // invisible here.
                Row row = read(connection, request.key());
                if (row != null && !reclaimable(row, request)) {
                    return occupied(row);
                }
                row = lock(connection, request.key());
                if (row != null) {
                    if (!reclaimable(row, request)) {
                        return occupied(row);
                    }
                    ClaimFound reclaimed = reclaim(connection, request, row, leaseMillis);
                    if (reclaimed instanceof ClaimFound.Acquired) {
                        return reclaimed;
                    }
                    return BUSY_HOLDER_UNSEEN;
                }
                if (insertWithoutWaiting != null) {
                    try (PreparedStatement ps = connection.prepareStatement(insertWithoutWaiting)) {
                        bindInsert(ps, 1, request, leaseMillis);
                        // execute, not executeQuery: MySQL Connector/J refuses the latter for a statement that
                        // starts with SET, whatever it returns.
                        ps.execute();
                        try (ResultSet rs = ps.getResultSet()) {
                            if (rs == null || !rs.next()) {
                                throw new StoreException("The claim's insert of " + request.key() + " returned no row");
                            }
                            return ClaimFound.Acquired.withRecord(rs.getLong(1));
                        }
                    }
                }
                try (PreparedStatement ps = connection.prepareStatement(insert)) {
                    bindInsert(ps, 1, request, leaseMillis);
                    ps.executeUpdate();
                    return ClaimFound.Acquired.withRecord(tokenOf(connection, request.key()));
                }
            } catch (SQLException e) {
                if (SqlErrors.isMysqlLockNotHad(e)) {
                    return BUSY_HOLDER_UNSEEN;
                }
                if (!SqlErrors.isUniqueViolation(e)) {
                    throw e;
                }
            }
            // Another claim committed the key's row between the locking read and the insert. The failed insert
            // left a shared lock on that row in this transaction, which a takeover would have to upgrade against
            // other claims holding the same: start afresh, then read again.
            transaction.restart();
        }
        return BUSY_HOLDER_UNSEEN;
    }

    /**
     * The holder of a key in transaction mode has not committed its in-progress row, so a committed read cannot
     * see whose request it is. Reading it uncommitted can: its fingerprint is written by the claim and never
     * changes, so it tells a retry of the holder's request (409) from another request under the key (422).
     * Nothing else is decided on what is read this way.
     */
    private ClaimFound busyWithTheHoldersFingerprint(Transaction transaction, ClaimRequest request)
            throws SQLException {
        Row row = transaction.readUncommitted(connection -> read(connection, request.key()));
        if (row == null || row.completed()) {
            return BUSY_HOLDER_UNSEEN;
        }
        if (row.leaseExpiresAt() != null) {
            return occupied(row);
        }
        return busy(ClaimResult.Busy.heldFor(row.fingerprint()));
    }

    private Row lock(Connection connection, RecordKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(lockRow)) {
            bindKey(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return readRow(rs, key);
            }
        }
    }

    /**
     * Refuses, before sending it, an outcome larger than the server takes in one statement: past
     * {@code max_allowed_packet} the server drops the connection, and the driver reports a broken connection
     * rather than the cause.
     */
    @Override
    public boolean complete(Connection connection, RecordKey key, long fencingToken, StoredResponse response,
            Instant expiresAt) throws SQLException {
        requireFits(key, response);
        return super.complete(connection, key, fencingToken, response, expiresAt);
    }

    /** As {@link #complete}, refuses an outcome larger than the server takes in one statement. */
    @Override
    public boolean insertOptimistic(Transaction transaction, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        requireFits(request.key(), response);
        return super.insertOptimistic(transaction, request, response, expiresAt);
    }

    /**
     * Besides a duplicate key, a lock not had: another transaction's record of the key outlasted
     * {@code innodb_lock_wait_timeout}, or the insert was a deadlock's victim.
     */
    @Override
    protected boolean keyTaken(SQLException e) {
        return super.keyTaken(e) || SqlErrors.isMysqlLockNotHad(e);
    }

    /** Bytes of a statement storing an outcome besides the body and headers: SQL text, key, times. */
    static final int OUTCOME_STATEMENT_OVERHEAD = 4096;

    /** The largest outcome (body and headers) this server stores, or {@link Long#MAX_VALUE} if not known. */
    long largestOutcomeBytes() {
        // A body is sent as bytes in a prepared statement, but escaped in the text of a client-side one, where a
        // byte may take two: count it twice.
        return maxStatementBytes <= 0 ? Long.MAX_VALUE : (maxStatementBytes - OUTCOME_STATEMENT_OVERHEAD) / 2;
    }

    private void requireFits(RecordKey key, StoredResponse response) {
        long size = ResponseCodec.encode(response).length;
        if (size > largestOutcomeBytes()) {
            throw new StoreException("The outcome of " + key + " takes " + size + " bytes, more than the database "
                    + "accepts in one statement (max_allowed_packet = " + maxStatementBytes + " bytes stores outcomes "
                    + "of up to " + largestOutcomeBytes() + " bytes): raise max_allowed_packet, or lower "
                    + "idempotency.max-response-bytes to at most " + largestOutcomeBytes());
        }
    }

    @Override
    public void checkMaxResponseBytes(int maxResponseBytes) {
        if (maxResponseBytes > largestOutcomeBytes()) {
            throw new StoreException("idempotency.max-response-bytes is " + maxResponseBytes + ", but the database "
                    + "accepts statements of at most " + maxStatementBytes + " bytes (max_allowed_packet), which "
                    + "store outcomes of up to " + largestOutcomeBytes() + " bytes: raise max_allowed_packet to at "
                    + "least " + (2L * maxResponseBytes + OUTCOME_STATEMENT_OVERHEAD) + ", or lower "
                    + "idempotency.max-response-bytes");
        }
    }

    @Override
    public int purge(Connection connection, Instant now, int limit) throws SQLException {
        List<byte[]> keys = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(selectExpired)) {
            ps.setObject(1, times().parameter(now));
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getBytes(1));
                }
            }
        }
        int deleted = 0;
        for (int from = 0; from < keys.size(); from += PURGE_KEYS_PER_DELETE) {
            List<byte[]> slice = keys.subList(from, Math.min(keys.size(), from + PURGE_KEYS_PER_DELETE));
            String sql = "DELETE FROM " + TABLE + " WHERE key_digest IN ("
                    + String.join(", ", Collections.nCopies(slice.size(), "?")) + ")";
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                int parameter = 1;
                for (byte[] key : slice) {
                    ps.setBytes(parameter++, key);
                }
                deleted += ps.executeUpdate();
            }
        }
        return deleted;
    }

    private static final int PURGE_KEYS_PER_DELETE = 500;

    /** The inbox's marker insert on MariaDB and MySQL. */
    private static final class Inbox extends InboxSql {

        Inbox() {
            super(SqlTimes.UTC_DATETIME);
        }

        @Override
        public boolean insertMarker(Transaction transaction, String consumer, String messageId, Instant appliedAt,
                Instant expiresAt, byte[] digest) throws SQLException {
            // InnoDB waits for a conflicting uncommitted marker's transaction as PostgreSQL does, up to
            // innodb_lock_wait_timeout, then fails with a duplicate key if it committed; two deliveries waiting for
            // a third that rolled back may deadlock instead, and wait again as well.
            return insertWaitingThroughLockTimeouts(transaction, consumer, messageId, appliedAt, expiresAt, digest,
                    SqlErrors::isMysqlLockNotHad);
        }
    }

    private static int lockWaitTimeout(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT @@SESSION.innodb_lock_wait_timeout")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void setLockWaitTimeout(Connection connection, int seconds) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SET SESSION innodb_lock_wait_timeout = " + seconds);
        }
    }
}
