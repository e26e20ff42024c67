package dev.idempotency.jdbc.internal;

import dev.idempotency.ExecutionMode;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoredRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The SQL of one database engine. Claims run inside a transaction the caller opened (auto-commit off);
 * the dialect never commits or rolls back, except where it says so. Leases are judged on the database's
 * clock ({@link #now()}), never the application's, so application instances with skewed clocks agree.
 */
public abstract class SqlDialect {

    /** What a claim attempt found. */
    public enum ClaimState { ACQUIRED, BUSY, EXISTING }

    /**
     * The result of {@link #claim}: a state; the record when it is {@code EXISTING}; the fencing token when
     * {@code ACQUIRED}; what is known of the holder when {@code BUSY}. {@code recordPending} says that an
     * acquired claim has not written its record yet: its outcome is then inserted by
     * {@link #insertCompletedAndCommit}, not updated by {@link #complete}.
     */
    public record ClaimFound(ClaimState state, StoredRecord record, long fencingToken, ClaimResult.Busy busy,
            boolean recordPending) {
        static ClaimFound acquired(long fencingToken) {
            return new ClaimFound(ClaimState.ACQUIRED, null, fencingToken, null, false);
        }

        static ClaimFound acquiredRecordPending() {
            return new ClaimFound(ClaimState.ACQUIRED, null, 1, null, true);
        }

        static ClaimFound busy(ClaimResult.Busy busy) {
            return new ClaimFound(ClaimState.BUSY, null, 0, busy, false);
        }

        static ClaimFound existing(StoredRecord record) {
            return new ClaimFound(ClaimState.EXISTING, record, 0, null, false);
        }
    }

    /** The record as read, completed or not, with the database's clock at the moment of reading. */
    protected record Row(String state, RequestFingerprint fingerprint, StoredRecord record, Instant expiresAt,
            Instant leaseExpiresAt, long fencingToken, Instant databaseNow) {

        boolean liveAt(Instant now) {
            return expiresAt.isAfter(now);
        }

        boolean leaseExpired() {
            return leaseExpiresAt != null && !leaseExpiresAt.isAfter(databaseNow);
        }
    }

    static final String TABLE = "idempotency_record";

    /** The record's columns in the order {@link #readRow} reads them; queries add the database's clock after them. */
    static final String ROW_COLUMNS = "state, fingerprint_version, fingerprint, response_status, response_headers, "
            + "response_body, created_at, expires_at, lease_expires_at, fencing_token";

    private final String selectRow;
    private final String reclaim;
    private final String complete;
    private final String purge;
    private final String renew;
    private final String release;

    protected SqlDialect() {
        String now = now();
        String lease = leaseExpiry("?");
        selectRow = "SELECT " + ROW_COLUMNS + ", " + now + " FROM " + TABLE
                + " WHERE scope = ? AND idempotency_key = ?";
        // Takes over a record whose time to live ran out, or a lease that expired for the same request. The
        // token read before must still be there, so two takeovers can never both succeed.
        // Takes over a record whose time to live ran out and that no live lease holds, or a lease that ran out
        // for the same request (see reclaimable). The token read before must still be there, so two takeovers
        // can never both succeed.
        reclaim = "UPDATE " + TABLE + " SET fingerprint_version = ?, fingerprint = ?, state = 'IN_PROGRESS', "
                + "response_status = NULL, response_headers = NULL, response_body = NULL, created_at = ?, "
                + "expires_at = ?, lease_expires_at = " + lease + ", fencing_token = fencing_token + 1 "
                + "WHERE scope = ? AND idempotency_key = ? AND fencing_token = ? AND ("
                + "(expires_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= " + now + ")) OR "
                + "(state = 'IN_PROGRESS' AND lease_expires_at <= " + now + " AND fingerprint_version = ? "
                + "AND fingerprint = ?))";
        complete = "UPDATE " + TABLE + " SET state = 'COMPLETED', response_status = ?, response_headers = ?, "
                + "response_body = ?, expires_at = ?, lease_expires_at = NULL WHERE scope = ? "
                + "AND idempotency_key = ? AND fencing_token = ? AND state = 'IN_PROGRESS'";
        renew = "UPDATE " + TABLE + " SET lease_expires_at = " + lease + " WHERE scope = ? AND idempotency_key = ? "
                + "AND fencing_token = ? AND state = 'IN_PROGRESS'";
        release = "DELETE FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ? AND fencing_token = ? "
                + "AND state = 'IN_PROGRESS'";
        // Rows a claim holds are locked; SKIP LOCKED leaves them, and lets concurrent purges share the work.
        // A live lease is never purged, even past the record's time to live.
        purge = "DELETE FROM " + TABLE + " WHERE (scope, idempotency_key) IN ("
                + "SELECT scope, idempotency_key FROM " + TABLE + " WHERE expires_at <= ? "
                + "AND (lease_expires_at IS NULL OR lease_expires_at <= " + now + ") "
                + "FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";
    }

    /** The dialect of {@code engine}. */
    public static SqlDialect of(DatabaseEngine engine) {
        return switch (engine) {
            case POSTGRESQL -> new PostgresDialect();
            case H2 -> new H2Dialect();
        };
    }

    /** The database's current time, as a SQL expression that moves within a transaction. */
    protected abstract String now();

    /**
     * A SQL expression for the end of a lease that starts now: {@code millis} is a parameter placeholder
     * holding the lease length in milliseconds, or 0 for no lease (NULL).
     */
    protected abstract String leaseExpiry(String millis);

    /** Claims the key inside the caller's transaction, without waiting for another holder. */
    public abstract ClaimFound claim(Connection connection, ClaimRequest request) throws SQLException;

    /**
     * Writes the outcome of a held claim, to expire at {@code expiresAt}; the caller commits.
     *
     * @return {@code false} if the claim's fencing token is no longer the record's (the lease was lost)
     */
    public boolean complete(Connection connection, RecordKey key, long fencingToken, StoredResponse response,
            Instant expiresAt) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(complete)) {
            ps.setInt(1, response.status());
            ps.setString(2, HeaderCodec.encode(response.headers()));
            ps.setBytes(3, response.body());
            ps.setObject(4, timestamp(expiresAt));
            ps.setString(5, key.scope());
            ps.setString(6, key.key().value());
            ps.setLong(7, fencingToken);
            int updated = ps.executeUpdate();
            if (updated > 1) {
                throw new StoreException("Storing the outcome of " + key + " updated " + updated + " rows");
            }
            return updated == 1;
        }
    }

    /**
     * Inserts the completed record of a claim that was acquired with its record pending
     * ({@link ClaimFound#recordPending()}), to expire at {@code expiresAt}, and commits the transaction, in
     * one round trip where the engine allows. Only dialects that acquire such claims implement it.
     *
     * @return {@code false}, with nothing committed and the transaction to be rolled back, if a record of
     *     the key is there already, which the claim's lock should have made impossible
     */
    public boolean insertCompletedAndCommit(Connection connection, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " writes its record when it claims");
    }

    /**
     * As {@link #insertCompletedAndCommit}, leaving the commit to the caller: for transactions that something
     * else ends (a framework that must flush its own writes first).
     */
    public boolean insertCompleted(Connection connection, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " writes its record when it claims");
    }

    /** Extends a lease from now by the database clock; {@code false} if the fencing token moved on. */
    public boolean renew(Connection connection, RecordKey key, long fencingToken, Duration lease) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(renew)) {
            ps.setLong(1, lease.toMillis());
            ps.setLong(2, lease.toMillis());
            ps.setString(3, key.scope());
            ps.setString(4, key.key().value());
            ps.setLong(5, fencingToken);
            return ps.executeUpdate() == 1;
        }
    }

    /** Deletes a lease-mode claim's in-progress record, if the fencing token is still its own. */
    public void release(Connection connection, RecordKey key, long fencingToken) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(release)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key().value());
            ps.setLong(3, fencingToken);
            ps.executeUpdate();
        }
    }

    /** Deletes up to {@code limit} expired records; the caller commits. */
    public int purge(Connection connection, Instant now, int limit) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(purge)) {
            ps.setObject(1, timestamp(now));
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }

    /** Reads the record of {@code key}, or {@code null}. */
    protected Row read(Connection connection, RecordKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(selectRow)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key().value());
            try (ResultSet rs = ps.executeQuery()) {
                return readRow(rs, key);
            }
        }
    }

    /**
     * The record in the next row of {@code rs} ({@link #ROW_COLUMNS} and the database's clock), or
     * {@code null} if there is none.
     */
    protected static Row readRow(ResultSet rs, RecordKey key) throws SQLException {
        if (!rs.next()) {
            return null;
        }
        String state = rs.getString(1);
        RequestFingerprint fingerprint = RequestFingerprint.restore(rs.getInt(2), rs.getBytes(3));
        Instant createdAt = rs.getObject(7, OffsetDateTime.class).toInstant();
        Instant expiresAt = rs.getObject(8, OffsetDateTime.class).toInstant();
        OffsetDateTime lease = rs.getObject(9, OffsetDateTime.class);
        long token = rs.getLong(10);
        Instant databaseNow = rs.getObject(11, OffsetDateTime.class).toInstant();
        StoredRecord record = null;
        if ("COMPLETED".equals(state)) {
            byte[] body = rs.getBytes(6);
            StoredResponse response = StoredResponse.of(rs.getInt(4), HeaderCodec.decode(rs.getString(5)),
                    body == null ? new byte[0] : body);
            record = new StoredRecord(key, fingerprint, response, createdAt, expiresAt);
        }
        return new Row(state, fingerprint, record, expiresAt, lease == null ? null : lease.toInstant(), token,
                databaseNow);
    }

    /**
     * Judges a live record that stands in the way of a claim: a completed one is replayed, an in-progress
     * one is busy (with the rest of its lease and its fingerprint, when it is a committed lease).
     */
    protected static ClaimFound judge(Row row) {
        if ("COMPLETED".equals(row.state())) {
            return ClaimFound.existing(row.record());
        }
        if (row.leaseExpiresAt() != null) {
            Duration left = Duration.between(row.databaseNow(), row.leaseExpiresAt());
            return ClaimFound.busy(ClaimResult.Busy.leased(left.isNegative() ? Duration.ZERO : left, row.fingerprint()));
        }
        return ClaimFound.busy(ClaimResult.Busy.unknown());
    }

    /**
     * Whether a record that is in the way may be taken over by {@code request}: one whose time to live ran out
     * and that no live lease holds, or a lease that ran out (its holder crashed or stalled) of the same
     * request. A live lease is never taken over, whatever its record's time to live says: its holder is still
     * running and renewing it, and a takeover would run its request a second time.
     */
    protected static boolean reclaimable(Row row, ClaimRequest request) {
        boolean liveLease = row.leaseExpiresAt() != null && !row.leaseExpired();
        if (liveLease) {
            return false;
        }
        return !row.liveAt(request.now()) || ("IN_PROGRESS".equals(row.state()) && row.leaseExpired()
                && row.fingerprint().equals(request.fingerprint()));
    }

    /**
     * Takes over a record that {@link #reclaimable} allowed, if it is still as it was read.
     *
     * @return the new fencing token, or -1 if the record changed in between
     */
    protected long reclaim(Connection connection, ClaimRequest request, Row row) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(reclaim)) {
            long leaseMillis = leaseMillis(request);
            ps.setInt(1, request.fingerprint().version());
            ps.setBytes(2, request.fingerprint().digest());
            ps.setObject(3, timestamp(request.now()));
            ps.setObject(4, timestamp(request.expiresAt()));
            ps.setLong(5, leaseMillis);
            ps.setLong(6, leaseMillis);
            ps.setString(7, request.key().scope());
            ps.setString(8, request.key().key().value());
            ps.setLong(9, row.fencingToken());
            ps.setObject(10, timestamp(request.now()));
            ps.setInt(11, request.fingerprint().version());
            ps.setBytes(12, request.fingerprint().digest());
            return ps.executeUpdate() == 1 ? row.fencingToken() + 1 : -1;
        }
    }

    /** The columns of a new in-progress record, in the order of {@link #insertValues()}. */
    protected static final String INSERT_COLUMNS = "(scope, idempotency_key, fingerprint_version, fingerprint, state, "
            + "created_at, expires_at, lease_expires_at, fencing_token)";

    /** The values of a new in-progress record, with the placeholders {@link #bindInsert} binds. */
    protected String insertValues() {
        return "?, ?, ?, ?, 'IN_PROGRESS', ?, ?, " + leaseExpiry("?") + ", 1";
    }

    /** Binds a new in-progress record from parameter {@code first} on (8 parameters). */
    protected static void bindInsert(PreparedStatement ps, int first, ClaimRequest request) throws SQLException {
        long leaseMillis = leaseMillis(request);
        ps.setString(first, request.key().scope());
        ps.setString(first + 1, request.key().key().value());
        ps.setInt(first + 2, request.fingerprint().version());
        ps.setBytes(first + 3, request.fingerprint().digest());
        ps.setObject(first + 4, timestamp(request.now()));
        ps.setObject(first + 5, timestamp(request.expiresAt()));
        ps.setLong(first + 6, leaseMillis);
        ps.setLong(first + 7, leaseMillis);
    }

    private static long leaseMillis(ClaimRequest request) {
        return request.mode() == ExecutionMode.LEASE ? Math.max(1, request.leaseDuration().toMillis()) : 0;
    }

    protected static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
