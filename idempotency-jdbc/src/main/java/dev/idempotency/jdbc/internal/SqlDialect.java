package dev.idempotency.jdbc.internal;

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

/**
 * The SQL of one database engine, chosen once per component from its {@link DatabaseEngine}: the store's
 * statements on {@value #TABLE} (here, with what the engines share; the claims in {@link PostgresDialect},
 * {@link MariaDbDialect} and {@link H2Dialect}), the inbox's ({@link #inbox()}) and the outbox's ({@link #outbox()}). Nothing outside the
 * dialects asks which engine it runs on.
 *
 * <p>Claims run inside a {@link Transaction} the caller began; a dialect never commits or rolls back except
 * through it, where it says so. Leases are timed by the database's clock ({@link #now()}), never the
 * application's, so application instances with skewed clocks agree.
 */
public abstract class SqlDialect {

    /** The record as read, completed or not, with the database's clock at the moment of reading. */
    protected record Row(boolean completed, RequestFingerprint fingerprint, StoredRecord record, Instant expiresAt,
            Instant leaseExpiresAt, long fencingToken, Instant databaseNow) {

        boolean liveAt(Instant now) {
            return expiresAt.isAfter(now);
        }

        boolean leaseExpired() {
            return leaseExpiresAt != null && !leaseExpiresAt.isAfter(databaseNow);
        }
    }

    static final String TABLE = "idempotency_record";

    /**
     * The condition that selects the record of one key, by its primary key ({@link KeyDigest}), bound by
     * {@link #bindKey}.
     */
    protected static final String KEY_IS = "key_digest = ?";

    /**
     * The condition of an in-progress record: only a completed one has a status (and a stored response, which the
     * table's check constraint ties to it).
     */
    protected static final String IN_PROGRESS = "response_status IS NULL";

    /** The record's columns in the order {@link #readRow} reads them; queries add the database's clock after them. */
    static final String ROW_COLUMNS = "response_status, fingerprint_version, fingerprint, response, created_at, "
            + "expires_at, lease_expires_at, fencing_token";

    private final String selectRow;
    private final String selectToken;
    private final String reclaim;
    private final String complete;
    private final String purge;
    private final String countExpired;
    /** A completed record, inserted with its outcome: by optimistic claims, and by claims of a lock alone. */
    private final String insertCompleted;
    private final String renew;
    private final String release;

    protected SqlDialect() {
        String now = now();
        String lease = leaseExpiry("?");
        selectRow = "SELECT " + ROW_COLUMNS + ", " + now + " FROM " + TABLE
                + " WHERE " + KEY_IS;
        // Takes over a record whose time to live ran out and that no live lease holds, or a lease that ran out
        // for the same request (see reclaimable). The token read before must still be there, so two takeovers
        // can never both succeed.
        selectToken = "SELECT fencing_token FROM " + TABLE + " WHERE " + KEY_IS;
        reclaim = "UPDATE " + TABLE + " SET fingerprint_version = ?, fingerprint = ?, response_status = NULL, "
                + "response = NULL, created_at = ?, expires_at = ?, lease_expires_at = " + lease + ", "
                + "fencing_token = " + nextToken("fencing_token") + " WHERE " + KEY_IS + " AND fencing_token = ? AND ("
                + "(expires_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= " + now + ")) OR "
                + "(" + IN_PROGRESS + " AND lease_expires_at <= " + now + " AND fingerprint_version = ? "
                + "AND fingerprint = ?))";
        complete = "UPDATE " + TABLE + " SET response_status = ?, response = ?, expires_at = ?, "
                + "lease_expires_at = NULL WHERE " + KEY_IS + " AND fencing_token = ? AND " + IN_PROGRESS;
        renew = "UPDATE " + TABLE + " SET lease_expires_at = " + lease + " WHERE " + KEY_IS
                + " AND fencing_token = ? AND " + IN_PROGRESS;
        release = "DELETE FROM " + TABLE + " WHERE " + KEY_IS + " AND fencing_token = ? AND " + IN_PROGRESS;
        // Rows a claim holds are locked; SKIP LOCKED leaves them, and lets concurrent purges share the work.
        // A live lease is never purged, even past the record's time to live.
        purge = "DELETE FROM " + TABLE + " WHERE key_digest IN ("
                + "SELECT key_digest FROM " + TABLE + " WHERE expires_at <= ? "
                + "AND (lease_expires_at IS NULL OR lease_expires_at <= " + now + ") "
                + "FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";
        insertCompleted = "INSERT INTO " + TABLE + " (key_digest, idempotency_key, fingerprint_version, fingerprint, "
                + "response_status, response, created_at, expires_at, lease_expires_at, fencing_token) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, " + newToken() + ")";
        // Capped: an index range scan of at most the cap's rows, however far behind the purge is.
        countExpired = "SELECT count(*) FROM (SELECT 1 FROM " + TABLE + " WHERE expires_at <= ? "
                + firstRows("?") + ") expired";
    }

    /**
     * The dialect of {@code engine}.
     *
     * @param maxStatementBytes the largest statement the server accepts, or 0 where there is no such limit
     */
    public static SqlDialect of(DatabaseEngine engine, long maxStatementBytes) {
        return switch (engine) {
            case POSTGRESQL -> new PostgresDialect();
            case H2 -> new H2Dialect();
            case MARIADB, MYSQL -> new MariaDbDialect(engine, maxStatementBytes);
        };
    }

    /**
     * Checks, when an adapter hands the store its settings, that the server can store an outcome of
     * {@code maxResponseBytes}; engines without a statement size limit accept any.
     *
     * @throws dev.idempotency.spi.StoreException saying which setting to change, if it cannot
     */
    public void checkMaxResponseBytes(int maxResponseBytes) {
    }

    /** How this engine's statements pass and read points in time. */
    public SqlTimes times() {
        return SqlTimes.WITH_TIME_ZONE;
    }

    /** The database's current time, as a SQL expression that moves within a transaction. */
    protected abstract String now();

    /**
     * The clause that keeps the first {@code n} rows of a query ({@code n} is SQL: a placeholder or a number);
     * called while the dialect is constructed, so it must not read the subclass's fields.
     */
    protected String firstRows(String n) {
        return "FETCH FIRST " + n + " ROWS ONLY";
    }

    /** The database's current time in microseconds since the epoch, as a SQL expression of a 64-bit integer. */
    protected abstract String nowMicros();

    /**
     * The SQL of a new record's fencing token: the database's clock in microseconds. A key's record can be
     * deleted (released after a failure, purged) while a holder that stalled past its lease still holds its
     * token; restarting from 1 would hand that same token to the key's next claim, and the stalled holder
     * would renew, complete or release a claim that is not its own. The clock keeps tokens growing across
     * the deletion, as {@code IdempotencyContext.fencingToken()} promises.
     */
    protected final String newToken() {
        return nowMicros();
    }

    /** The SQL of the token that takes over from {@code previous}: above it, and above every earlier one. */
    private String nextToken(String previous) {
        return "GREATEST(" + previous + " + 1, " + nowMicros() + ")";
    }

    /**
     * A SQL expression for the end of a lease that starts now: {@code millis} is a parameter placeholder
     * holding the lease length in milliseconds, or 0 for no lease (NULL).
     */
    protected abstract String leaseExpiry(String millis);

    /**
     * Claims the key for a transaction-mode request, inside {@code transaction}, without waiting for another
     * holder. An acquired claim holds the key until the transaction ends: its outcome commits with it.
     */
    public abstract ClaimFound claimInTransaction(Transaction transaction, ClaimRequest request) throws SQLException;

    /**
     * Claims the key for a lease-mode request, inside {@code transaction}, without waiting for another holder:
     * an acquired claim has written its in-progress record, with a lease of {@code request.leaseDuration()} by
     * the database's clock, for the caller to commit at once.
     */
    public abstract ClaimFound claimLease(Transaction transaction, ClaimRequest request) throws SQLException;

    /** The inbox's statements on this engine. */
    public abstract InboxSql inbox();

    /** The outbox's statements on this engine. */
    public OutboxSql outbox() {
        return OutboxSql.STANDARD;
    }

    /**
     * Writes the outcome of a held claim, to expire at {@code expiresAt}; the caller commits.
     *
     * @return {@code false} if the claim's fencing token is no longer the record's (the lease was lost)
     */
    public boolean complete(Connection connection, RecordKey key, long fencingToken, StoredResponse response,
            Instant expiresAt) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(complete)) {
            ps.setInt(1, response.status());
            ps.setBytes(2, ResponseCodec.encode(response));
            ps.setObject(3, times().parameter(expiresAt));
            bindKey(ps, 4, key);
            ps.setLong(5, fencingToken);
            int updated = ps.executeUpdate();
            if (updated > 1) {
                throw new StoreException("Storing the outcome of one key updated " + updated + " rows");
            }
            return updated == 1;
        }
    }

    /**
     * Inserts the completed record of a claim that was acquired with its record pending
     * ({@link ClaimFound.Acquired#recordPending()}), to expire at {@code expiresAt}, committing the transaction
     * in the same round trip where the engine and the transaction allow; the caller then
     * {@linkplain Transaction#commit() commits} all the same. Only dialects that acquire such claims implement it.
     *
     * @return {@code false}, with nothing committed and the transaction to be rolled back, if a record of
     *     the key is there already, which the claim's lock should have made impossible
     */
    public boolean insertCompletedAndCommit(Transaction transaction, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " writes its record when it claims");
    }

    /**
     * Inserts the completed record of an optimistic claim, to expire at {@code expiresAt}, with a plain
     * {@code INSERT}: a record of the key that is there fails it on the primary key, and one that another
     * transaction has written and not committed makes it wait for that transaction, then fail if it committed.
     * Where the engine and the transaction allow, the {@code COMMIT} goes in the same round trip; the caller then
     * {@linkplain Transaction#commit() commits} all the same.
     *
     * @return {@code false}, with nothing committed and the transaction to be rolled back, if the key was taken: a
     *     record of it is there, or another transaction held it past the engine's lock wait ({@link #keyTaken})
     */
    public boolean insertOptimistic(Transaction transaction, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        return insertCompleted(transaction, insertCompleted, 1, request, response, expiresAt);
    }

    /**
     * Runs {@code sql}, whose parameters from {@code first} on are those of the completed-record insert.
     *
     * @return {@code false} if the key was taken ({@link #keyTaken})
     */
    protected final boolean insertCompleted(Transaction transaction, String sql, int first, ClaimRequest request,
            StoredResponse response, Instant expiresAt) throws SQLException {
        try (PreparedStatement ps = transaction.connection().prepareStatement(sql)) {
            bindCompleted(ps, first, request, response, expiresAt);
            ps.execute();
            return true;
        } catch (SQLException e) {
            if (keyTaken(e)) {
                return false;
            }
            throw e;
        }
    }

    /** The SQL of the completed-record insert, for dialects that send it with statements of their own. */
    protected final String insertCompletedSql() {
        return insertCompleted;
    }

    /** Binds {@link #insertCompletedSql()}'s 8 parameters from {@code first} on; the first is used by the caller. */
    protected void bindCompleted(PreparedStatement ps, int first, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        bindKey(ps, first, request.key());
        ps.setString(first + 1, request.key().key().value());
        ps.setInt(first + 2, request.fingerprint().version());
        ps.setBytes(first + 3, request.fingerprint().digest());
        ps.setInt(first + 4, response.status());
        ps.setBytes(first + 5, ResponseCodec.encode(response));
        ps.setObject(first + 6, times().parameter(request.now()));
        ps.setObject(first + 7, times().parameter(expiresAt));
    }

    /**
     * Binds the primary key of {@code key}'s record ({@link KeyDigest}), the parameter of {@link #KEY_IS}, as
     * 16 bytes; engines that keep it in a type of their own bind it as that.
     */
    protected void bindKey(PreparedStatement ps, int index, RecordKey key) throws SQLException {
        ps.setBytes(index, KeyDigest.of(key));
    }

    /**
     * Whether the failure of a completed-record insert means that the key was taken: a unique violation here, and
     * on engines that bound a lock wait, the wait for another transaction's uncommitted record running out.
     */
    protected boolean keyTaken(SQLException e) {
        return SqlErrors.isUniqueViolation(e);
    }

    /** Extends a lease from now by the database clock; {@code false} if the fencing token moved on. */
    public boolean renew(Connection connection, RecordKey key, long fencingToken, Duration lease) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(renew)) {
            ps.setLong(1, lease.toMillis());
            ps.setLong(2, lease.toMillis());
            bindKey(ps, 3, key);
            ps.setLong(4, fencingToken);
            return ps.executeUpdate() == 1;
        }
    }

    /** Deletes a lease-mode claim's in-progress record, if the fencing token is still its own. */
    public void release(Connection connection, RecordKey key, long fencingToken) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(release)) {
            bindKey(ps, 1, key);
            ps.setLong(2, fencingToken);
            ps.executeUpdate();
        }
    }

    /** Deletes up to {@code limit} expired records; the caller commits. */
    public int purge(Connection connection, Instant now, int limit) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(purge)) {
            ps.setObject(1, times().parameter(now));
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }

    /** Counts the records that expired at {@code now}, up to {@code cap}. */
    public long countExpired(Connection connection, Instant now, long cap) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(countExpired)) {
            ps.setObject(1, times().parameter(now));
            ps.setLong(2, cap);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Reads the record of {@code key}, or {@code null}. */
    protected Row read(Connection connection, RecordKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(selectRow)) {
            bindKey(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return readRow(rs, key);
            }
        }
    }

    /**
     * The record in the next row of {@code rs} ({@link #ROW_COLUMNS} and the database's clock), or
     * {@code null} if there is none.
     */
    protected Row readRow(ResultSet rs, RecordKey key) throws SQLException {
        if (!rs.next()) {
            return null;
        }
        int status = rs.getInt(1);
        boolean completed = !rs.wasNull();
        RequestFingerprint fingerprint = RequestFingerprint.restore(rs.getInt(2), rs.getBytes(3));
        SqlTimes times = times();
        Instant createdAt = times.read(rs, 5);
        Instant expiresAt = times.read(rs, 6);
        Instant lease = times.read(rs, 7);
        long token = rs.getLong(8);
        Instant databaseNow = times.read(rs, 9);
        StoredRecord record = null;
        if (completed) {
            StoredResponse response = ResponseCodec.decode(status, rs.getBytes(4));
            record = new StoredRecord(key, fingerprint, response, createdAt, expiresAt);
        }
        return new Row(completed, fingerprint, record, expiresAt, lease, token, databaseNow);
    }

    /**
     * The answer to a claim of a key that a live record occupies: a completed one is replayed, an in-progress
     * one is busy (with the rest of its lease and its fingerprint, when it is a committed lease).
     */
    protected static ClaimFound occupied(Row row) {
        if (row.completed()) {
            return new ClaimFound.Existing(row.record());
        }
        if (row.leaseExpiresAt() != null) {
            Duration left = Duration.between(row.databaseNow(), row.leaseExpiresAt());
            return busy(ClaimResult.Busy.leased(left.isNegative() ? Duration.ZERO : left, row.fingerprint()));
        }
        return busy(ClaimResult.Busy.unknown());
    }

    /** Busy, with what is known of the holder. */
    protected static ClaimFound busy(ClaimResult.Busy answer) {
        return new ClaimFound.Busy(answer);
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
        return !row.liveAt(request.now()) || (!row.completed() && row.leaseExpired()
                && row.fingerprint().equals(request.fingerprint()));
    }

    /**
     * Takes over a record that {@link #reclaimable} allowed, if it is still as it was read, with a lease of
     * {@code leaseMillis} (0: none).
     *
     * @return acquired with the next fencing token (above the record's, and from the database's clock), or
     *     busy if the record changed in between
     */
    protected ClaimFound reclaim(Connection connection, ClaimRequest request, Row row, long leaseMillis)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(reclaim)) {
            ps.setInt(1, request.fingerprint().version());
            ps.setBytes(2, request.fingerprint().digest());
            ps.setObject(3, times().parameter(request.now()));
            ps.setObject(4, times().parameter(request.expiresAt()));
            ps.setLong(5, leaseMillis);
            ps.setLong(6, leaseMillis);
            bindKey(ps, 7, request.key());
            ps.setLong(8, row.fencingToken());
            ps.setObject(9, times().parameter(request.now()));
            ps.setInt(10, request.fingerprint().version());
            ps.setBytes(11, request.fingerprint().digest());
            if (ps.executeUpdate() != 1) {
                return busy(ClaimResult.Busy.unknown());
            }
        }
        return ClaimFound.Acquired.withRecord(tokenOf(connection, request.key()));
    }

    /**
     * The fencing token of the record of {@code key} that this transaction has just written (and so holds
     * locked): the database chose it.
     */
    protected long tokenOf(Connection connection, RecordKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(selectToken)) {
            bindKey(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new StoreException("The record of " + key + " written by this claim was not found");
                }
                return rs.getLong(1);
            }
        }
    }

    /** The columns of a new in-progress record, in the order of {@link #insertValues()}. */
    protected static final String INSERT_COLUMNS = "(key_digest, idempotency_key, fingerprint_version, fingerprint, "
            + "created_at, expires_at, lease_expires_at, fencing_token)";

    /** The values of a new in-progress record, with the placeholders {@link #bindInsert} binds. */
    protected String insertValues() {
        return "?, ?, ?, ?, ?, ?, " + leaseExpiry("?") + ", " + newToken();
    }

    /**
     * Binds a new in-progress record, with a lease of {@code leaseMillis} (0: none), from parameter
     * {@code first} on (8 parameters).
     */
    protected void bindInsert(PreparedStatement ps, int first, ClaimRequest request, long leaseMillis)
            throws SQLException {
        bindKey(ps, first, request.key());
        ps.setString(first + 1, request.key().key().value());
        ps.setInt(first + 2, request.fingerprint().version());
        ps.setBytes(first + 3, request.fingerprint().digest());
        ps.setObject(first + 4, times().parameter(request.now()));
        ps.setObject(first + 5, times().parameter(request.expiresAt()));
        ps.setLong(first + 6, leaseMillis);
        ps.setLong(first + 7, leaseMillis);
    }

    /** The lease of a lease-mode request in milliseconds, for {@link #leaseExpiry}: at least 1. */
    protected static long leaseMillis(ClaimRequest request) {
        return Math.max(1, request.leaseDuration().toMillis());
    }
}
