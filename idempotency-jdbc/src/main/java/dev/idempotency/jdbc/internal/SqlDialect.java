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
                + " WHERE scope = ? AND idempotency_key = ?";
        // Takes over a record whose time to live ran out and that no live lease holds, or a lease that ran out
        // for the same request (see reclaimable). The token read before must still be there, so two takeovers
        // can never both succeed.
        selectToken = "SELECT fencing_token FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ?";
        reclaim = "UPDATE " + TABLE + " SET fingerprint_version = ?, fingerprint = ?, state = 'IN_PROGRESS', "
                + "response_status = NULL, response_headers = NULL, response_body = NULL, created_at = ?, "
                + "expires_at = ?, lease_expires_at = " + lease + ", fencing_token = " + nextToken("fencing_token") + " "
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
        insertCompleted = "INSERT INTO " + TABLE + " (scope, idempotency_key, fingerprint_version, fingerprint, state, "
                + "response_status, response_headers, response_body, created_at, expires_at, lease_expires_at, "
                + "fencing_token) VALUES (?, ?, ?, ?, 'COMPLETED', ?, ?, ?, ?, ?, NULL, " + newToken() + ")";
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
            ps.setString(2, HeaderCodec.encode(response.headers()));
            ps.setBytes(3, response.body());
            ps.setObject(4, times().parameter(expiresAt));
            ps.setString(5, key.scope());
            ps.setString(6, key.key().value());
            ps.setLong(7, fencingToken);
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

    /** Binds {@link #insertCompletedSql()}'s 9 parameters from {@code first} on; the first is used by the caller. */
    protected void bindCompleted(PreparedStatement ps, int first, ClaimRequest request, StoredResponse response,
            Instant expiresAt) throws SQLException {
        ps.setString(first, request.key().scope());
        ps.setString(first + 1, request.key().key().value());
        ps.setInt(first + 2, request.fingerprint().version());
        ps.setBytes(first + 3, request.fingerprint().digest());
        ps.setInt(first + 4, response.status());
        ps.setString(first + 5, HeaderCodec.encode(response.headers()));
        ps.setBytes(first + 6, response.body());
        ps.setObject(first + 7, times().parameter(request.now()));
        ps.setObject(first + 8, times().parameter(expiresAt));
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
    protected Row readRow(ResultSet rs, RecordKey key) throws SQLException {
        if (!rs.next()) {
            return null;
        }
        String state = rs.getString(1);
        RequestFingerprint fingerprint = RequestFingerprint.restore(rs.getInt(2), rs.getBytes(3));
        SqlTimes times = times();
        Instant createdAt = times.read(rs, 7);
        Instant expiresAt = times.read(rs, 8);
        Instant lease = times.read(rs, 9);
        long token = rs.getLong(10);
        Instant databaseNow = times.read(rs, 11);
        StoredRecord record = null;
        if ("COMPLETED".equals(state)) {
            byte[] body = rs.getBytes(6);
            StoredResponse response = StoredResponse.of(rs.getInt(4), HeaderCodec.decode(rs.getString(5)),
                    body == null ? new byte[0] : body);
            record = new StoredRecord(key, fingerprint, response, createdAt, expiresAt);
        }
        return new Row(state, fingerprint, record, expiresAt, lease, token, databaseNow);
    }

    /**
     * The answer to a claim of a key that a live record occupies: a completed one is replayed, an in-progress
     * one is busy (with the rest of its lease and its fingerprint, when it is a committed lease).
     */
    protected static ClaimFound occupied(Row row) {
        if ("COMPLETED".equals(row.state())) {
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
        return !row.liveAt(request.now()) || ("IN_PROGRESS".equals(row.state()) && row.leaseExpired()
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
            ps.setString(7, request.key().scope());
            ps.setString(8, request.key().key().value());
            ps.setLong(9, row.fencingToken());
            ps.setObject(10, times().parameter(request.now()));
            ps.setInt(11, request.fingerprint().version());
            ps.setBytes(12, request.fingerprint().digest());
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
            ps.setString(1, key.scope());
            ps.setString(2, key.key().value());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new StoreException("The record of " + key + " written by this claim was not found");
                }
                return rs.getLong(1);
            }
        }
    }

    /** The columns of a new in-progress record, in the order of {@link #insertValues()}. */
    protected static final String INSERT_COLUMNS = "(scope, idempotency_key, fingerprint_version, fingerprint, state, "
            + "created_at, expires_at, lease_expires_at, fencing_token)";

    /** The values of a new in-progress record, with the placeholders {@link #bindInsert} binds. */
    protected String insertValues() {
        return "?, ?, ?, ?, 'IN_PROGRESS', ?, ?, " + leaseExpiry("?") + ", " + newToken();
    }

    /**
     * Binds a new in-progress record, with a lease of {@code leaseMillis} (0: none), from parameter
     * {@code first} on (8 parameters).
     */
    protected void bindInsert(PreparedStatement ps, int first, ClaimRequest request, long leaseMillis)
            throws SQLException {
        ps.setString(first, request.key().scope());
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
