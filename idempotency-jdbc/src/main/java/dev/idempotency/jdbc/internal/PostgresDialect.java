package dev.idempotency.jdbc.internal;

import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * PostgreSQL: a transaction-scoped advisory lock on the key says "in progress" without ever waiting
 * (inserting over another transaction's uncommitted row would block until it ends).
 *
 * <p>In transaction mode the lock is all a claim of a new key needs: its record is written once, completed,
 * when the outcome is stored, in the transaction that commits the handler's writes. The lock is taken in
 * one statement and the record read in the next, sent together in one round trip: in READ COMMITTED each
 * statement reads from a snapshot taken when it starts, and a holder's transaction-scoped lock is released
 * only after its commit became visible, so a claim that was granted the lock after a holder finished reads
 * that holder's record. (Read in the same statement as the lock, from a snapshot taken before the lock was
 * granted, it could miss it.) In lease mode the in-progress record must be committed at once, and its
 * insert rides in the lock's statement. Either way the primary key stays the last word: even a request that
 * bypassed the lock could not commit a second record.
 *
 * <p>The inbox's marker insert is PostgreSQL's own too ({@link #inbox()}).
 */
final class PostgresDialect extends SqlDialect {

    private final String tryClaim = "WITH claim_lock AS (SELECT pg_try_advisory_xact_lock(?) AS acquired), "
            + "inserted AS (INSERT INTO " + TABLE + " " + INSERT_COLUMNS + " SELECT " + insertValues()
            + " FROM claim_lock WHERE acquired ON CONFLICT (key_digest) DO NOTHING "
            + "RETURNING fencing_token) SELECT acquired, (SELECT fencing_token FROM inserted) FROM claim_lock";

    /**
     * The transaction-mode claim, in one round trip: the locks, then (a statement of its own, see the class
     * comment) the record.
     *
     * <p>The key's lock is the claim. Its holder also takes two more, which let a claimant that finds the key
     * held tell a retry of the holder's request (409) from a different request under the same key (422) while
     * the holder's record is still unwritten and invisible: a lock on the request (scope, key and
     * fingerprint), and after it a lock that says "the holder holds its request lock" (scope, key and the
     * fingerprint version). A claimant tries a shared lock on its own request lock: failing means the holder's
     * request is its own. Otherwise it holds that shared lock, so no holder can take the same request lock
     * exclusively any more, and it tries a shared lock on the announcement: failing means a holder with its
     * fingerprint version holds a request lock, which can then only be another request's. Every other case
     * answers "busy, request unknown" (409), the answer the key's lock alone gives: a holder that could not
     * take its request lock (a claimant held it shared for that instant) does not announce it, and neither
     * does a holder running an earlier release, or computing another fingerprint version. CASE evaluates its
     * branches in order and only as far as needed, which is what orders the locks.
     */
    private final String lockThenRead = "SELECT CASE WHEN pg_try_advisory_xact_lock(?) THEN "
            + "CASE WHEN pg_try_advisory_xact_lock(?) THEN CASE WHEN pg_try_advisory_xact_lock(?) THEN 'A' "
            + "ELSE 'A' END ELSE 'A' END "
            + "WHEN NOT pg_try_advisory_xact_lock_shared(?) THEN 'S' "
            + "WHEN NOT pg_try_advisory_xact_lock_shared(?) THEN 'D' ELSE 'U' END; SELECT " + ROW_COLUMNS
            + ", clock_timestamp() FROM " + TABLE + " WHERE " + KEY_IS;

    /** The outcome's insert and the {@code COMMIT} in one round trip. */
    private final String insertCompletedAndCommit = insertCompletedSql() + "; COMMIT";

    /**
     * An optimistic claim's flight: the key's lock, waited for, then the record's insert. The lock is what a
     * transaction-mode claim holds, with no record yet (see the class comment), so an optimistic claim waits here
     * for such a holder to end and then meets its record on the primary key; a concurrent optimistic one holds it
     * only for this flight.
     */
    private final String lockAndInsertCompleted = "SELECT pg_advisory_xact_lock(?); " + insertCompletedSql();

    /** The same, with the {@code COMMIT}: the optimistic claim's one round trip after the handler's statements. */
    private final String lockInsertCompletedAndCommit = lockAndInsertCompleted + "; COMMIT";

    private final String insert = "INSERT INTO " + TABLE + " " + INSERT_COLUMNS + " VALUES (" + insertValues()
            + ") ON CONFLICT (key_digest) DO NOTHING RETURNING fencing_token";

    @Override
    protected String now() {
        // clock_timestamp(), not now(): now() stands still for the whole transaction.
        return "clock_timestamp()";
    }

    @Override
    protected String nowMicros() {
        return "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint";
    }

    @Override
    protected String leaseExpiry(String millis) {
        return "CASE WHEN " + millis + " > 0 THEN clock_timestamp() + " + millis
                + " * INTERVAL '1 millisecond' END";
    }

    @Override
    public InboxSql inbox() {
        return INBOX;
    }

    /** The key's digest is a {@code uuid} here: the only fixed-width 16-byte type, so no length in each entry. */
    @Override
    protected void bindKey(PreparedStatement ps, int index, RecordKey key) throws SQLException {
        ps.setObject(index, KeyDigest.uuidOf(key));
    }

    @Override
    public ClaimFound claimInTransaction(Transaction transaction, ClaimRequest request) throws SQLException {
        Connection connection = transaction.connection();
        String lock;
        Row row;
        try (PreparedStatement ps = connection.prepareStatement(lockThenRead)) {
            long requestLock = requestLockKey(request.key(), request.fingerprint());
            long announcement = announcementLockKey(request.key(), request.fingerprint().version());
            ps.setLong(1, lockKey(request.key()));
            ps.setLong(2, requestLock);
            ps.setLong(3, announcement);
            ps.setLong(4, requestLock);
            ps.setLong(5, announcement);
            bindKey(ps, 6, request.key());
            ps.execute();
            try (ResultSet rs = ps.getResultSet()) {
                rs.next();
                lock = rs.getString(1);
            }
            if (!ps.getMoreResults()) {
                throw new SQLException("The read of the record did not return a result set");
            }
            try (ResultSet rs = ps.getResultSet()) {
                row = readRow(rs, request.key());
            }
        }
        // A completed record is answered even without the lock: replays of one key may run side by side.
        if (row != null && !reclaimable(row, request)) {
            return occupied(row);
        }
        if (!"A".equals(lock)) {
            return busy("D".equals(lock) ? ClaimResult.Busy.forAnotherRequest() : ClaimResult.Busy.unknown());
        }
        if (row == null) {
            return ClaimFound.Acquired.lockOnly();
        }
        // An expired record (or lease) of the key: take it over now, so that the purge leaves it alone.
        return reclaim(connection, request, row, 0);
    }

    /**
     * The insert and the {@code COMMIT} go in one round trip, where the transaction allows. A record already
     * there fails the insert on the primary key, which aborts the transaction before the {@code COMMIT} runs:
     * the caller rolls back.
     */
    @Override
    public boolean insertCompletedAndCommit(Transaction transaction, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        String sql = transaction.commitInStatementAllowed() ? insertCompletedAndCommit : insertCompletedSql();
        try (PreparedStatement ps = transaction.connection().prepareStatement(sql)) {
            bindCompleted(ps, 1, request, response, expiresAt);
            ps.execute();
            return true;
        } catch (SQLException e) {
            if (SqlErrors.isUniqueViolation(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The key's lock, the insert and the {@code COMMIT} in one round trip, where the transaction allows. A record
     * already there fails the insert on the primary key, which aborts the transaction before the {@code COMMIT}
     * runs: the caller rolls back. The lock is waited for without a limit of the library's (the server's
     * {@code lock_timeout} applies, if set).
     */
    @Override
    public boolean insertOptimistic(Transaction transaction, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        String sql = transaction.commitInStatementAllowed() ? lockInsertCompletedAndCommit : lockAndInsertCompleted;
        try (PreparedStatement ps = transaction.connection().prepareStatement(sql)) {
            ps.setLong(1, lockKey(request.key()));
            bindCompleted(ps, 2, request, response, expiresAt);
            ps.execute();
            return true;
        } catch (SQLException e) {
            if (keyTaken(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * A unique violation of the record's primary key, or a lock not had: past the server's {@code lock_timeout} ({@code 55P03}), or as
     * a deadlock's victim ({@code 40P01}, when the handler's own row locks and the key's lock cross another
     * request's).
     */
    @Override
    protected boolean keyTaken(SQLException e) {
        return (super.keyTaken(e) && String.valueOf(e.getMessage()).contains(PRIMARY_KEY))
                || "55P03".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    /**
     * The record's primary key, as V1__create_idempotency_record.sql and V6__compact_record.sql name it. A unique violation elsewhere (a
     * deferred constraint of the handler's, checked at the {@code COMMIT} of the same flight) is the handler's
     * failure, not a taken key. PostgreSQL names the constraint in the message in every language.
     */
    private static final String PRIMARY_KEY = "idempotency_record_pk";

    @Override
    public ClaimFound claimLease(Transaction transaction, ClaimRequest request) throws SQLException {
        Connection connection = transaction.connection();
        long leaseMillis = leaseMillis(request);
        boolean locked;
        try (PreparedStatement ps = connection.prepareStatement(tryClaim)) {
            ps.setLong(1, lockKey(request.key()));
            bindInsert(ps, 2, request, leaseMillis);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                locked = rs.getBoolean(1);
                long insertedToken = rs.getLong(2);
                if (!rs.wasNull()) {
                    return ClaimFound.Acquired.withRecord(insertedToken);
                }
            }
        }
        // A completed record is answered even without the lock: replays of one key may run side by side.
        Row row = read(connection, request.key());
        if (row != null && !reclaimable(row, request)) {
            return occupied(row);
        }
        if (!locked) {
            return busy(ClaimResult.Busy.unknown());
        }
        // We hold the lock and the record is expired (or its lease is), or it was purged in between.
        if (row != null) {
            return reclaim(connection, request, row, leaseMillis);
        }
        try (PreparedStatement ps = connection.prepareStatement(insert)) {
            bindInsert(ps, 1, request, leaseMillis);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? ClaimFound.Acquired.withRecord(rs.getLong(1)) : busy(ClaimResult.Busy.unknown());
            }
        }
    }

    /** 64 bits of SHA-256 over scope and key: collisions are as unlikely as for random 64-bit numbers. */
    static long lockKey(RecordKey key) {
        MessageDigest sha = keyed("idempotency-lock", key);
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    /** The lock on one request under a key: scope, key, fingerprint version and digest. */
    static long requestLockKey(RecordKey key, RequestFingerprint fingerprint) {
        MessageDigest sha = keyed("idempotency-request-lock", key);
        sha.update(ByteBuffer.allocate(4).putInt(fingerprint.version()).array());
        sha.update(fingerprint.digest());
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    /** The lock by which a key's holder says it holds its request lock, for one fingerprint version. */
    static long announcementLockKey(RecordKey key, int fingerprintVersion) {
        MessageDigest sha = keyed("idempotency-request-lock-held", key);
        sha.update(ByteBuffer.allocate(4).putInt(fingerprintVersion).array());
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    private static final InboxSql INBOX = new Inbox();

    /** The inbox's marker insert on PostgreSQL. */
    private static final class Inbox extends InboxSql {

        Inbox() {
            super(SqlTimes.WITH_TIME_ZONE);
        }

        // A conflicting uncommitted marker makes the insert wait for its transaction, then do nothing if it
        // committed.
        private static final String INSERT_UNLESS_THERE = INSERT + " ON CONFLICT (consumer, message_id) DO NOTHING";

        @Override
        public boolean insertMarker(Transaction transaction, String consumer, String messageId, Instant appliedAt,
                Instant expiresAt, byte[] digest) throws SQLException {
            try (PreparedStatement ps = transaction.connection().prepareStatement(INSERT_UNLESS_THERE)) {
                bindMarker(ps, consumer, messageId, appliedAt, expiresAt, digest);
                return ps.executeUpdate() == 1;
            }
        }
    }

    private static MessageDigest keyed(String purpose, RecordKey key) {
        MessageDigest sha = KeyDigest.sha256();
        sha.update(purpose.getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) 0);
        sha.update(key.scope().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(key.key().value().getBytes(StandardCharsets.US_ASCII));
        return sha;
    }
}
