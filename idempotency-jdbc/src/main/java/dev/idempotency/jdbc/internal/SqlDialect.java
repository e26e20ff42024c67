package dev.idempotency.jdbc.internal;

import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.store.ClaimRequest;
import dev.idempotency.store.RecordKey;
import dev.idempotency.store.StoreException;
import dev.idempotency.store.StoredRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The SQL of one database engine. Claims run inside a transaction the caller opened (auto-commit off);
 * the dialect never commits or rolls back, except where it says so.
 */
public abstract class SqlDialect {

    /** What a claim attempt found. */
    public enum ClaimState { ACQUIRED, BUSY, EXISTING }

    /** The result of {@link #claim}: a state, and the record when it is {@code EXISTING}. */
    public record ClaimFound(ClaimState state, StoredRecord record) {
        static final ClaimFound ACQUIRED = new ClaimFound(ClaimState.ACQUIRED, null);
        static final ClaimFound BUSY = new ClaimFound(ClaimState.BUSY, null);
    }

    /** The record as read, completed or not. */
    protected record Row(String state, StoredRecord record, Instant expiresAt) {
        boolean liveAt(Instant now) {
            return expiresAt.isAfter(now);
        }
    }

    static final String TABLE = "idempotency_record";

    private static final String SELECT_ROW = "SELECT state, fingerprint_version, fingerprint, response_status, "
            + "response_headers, response_body, created_at, expires_at FROM " + TABLE
            + " WHERE scope = ? AND idempotency_key = ?";

    private static final String RECLAIM = "UPDATE " + TABLE + " SET fingerprint_version = ?, fingerprint = ?, "
            + "state = 'IN_PROGRESS', response_status = NULL, response_headers = NULL, response_body = NULL, "
            + "created_at = ?, expires_at = ? WHERE scope = ? AND idempotency_key = ? AND expires_at <= ?";

    private static final String COMPLETE = "UPDATE " + TABLE + " SET state = 'COMPLETED', response_status = ?, "
            + "response_headers = ?, response_body = ? WHERE scope = ? AND idempotency_key = ? "
            + "AND state = 'IN_PROGRESS'";

    // Rows a claim holds are locked; SKIP LOCKED leaves them, and lets concurrent purges share the work.
    private static final String PURGE = "DELETE FROM " + TABLE + " WHERE (scope, idempotency_key) IN ("
            + "SELECT scope, idempotency_key FROM " + TABLE + " WHERE expires_at <= ? "
            + "FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";

    /** The dialect of {@code engine}. */
    public static SqlDialect of(DatabaseEngine engine) {
        return switch (engine) {
            case POSTGRESQL -> new PostgresDialect();
            case H2 -> new H2Dialect();
        };
    }

    /** Claims the key inside the caller's transaction, without waiting for another holder. */
    public abstract ClaimFound claim(Connection connection, ClaimRequest request) throws SQLException;

    /** Writes the outcome of a held claim; the caller commits. */
    public void complete(Connection connection, RecordKey key, StoredResponse response) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(COMPLETE)) {
            ps.setInt(1, response.status());
            ps.setString(2, HeaderCodec.encode(response.headers()));
            ps.setBytes(3, response.body());
            ps.setString(4, key.scope());
            ps.setString(5, key.key().value());
            int updated = ps.executeUpdate();
            if (updated != 1) {
                throw new StoreException("The claim of " + key + " was not found while storing its outcome ("
                        + updated + " rows updated); was the table changed underneath?");
            }
        }
    }

    /** Deletes up to {@code limit} expired records; the caller commits. */
    public int purge(Connection connection, Instant now, int limit) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(PURGE)) {
            ps.setObject(1, timestamp(now));
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }

    /** Reads the record of {@code key}, or {@code null}. */
    protected Row read(Connection connection, RecordKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(SELECT_ROW)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key().value());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String state = rs.getString(1);
                Instant createdAt = rs.getObject(7, OffsetDateTime.class).toInstant();
                Instant expiresAt = rs.getObject(8, OffsetDateTime.class).toInstant();
                StoredRecord record = null;
                if ("COMPLETED".equals(state)) {
                    RequestFingerprint fingerprint = RequestFingerprint.restore(rs.getInt(2), rs.getBytes(3));
                    byte[] body = rs.getBytes(6);
                    StoredResponse response = StoredResponse.of(rs.getInt(4), HeaderCodec.decode(rs.getString(5)),
                            body == null ? new byte[0] : body);
                    record = new StoredRecord(key, fingerprint, response, createdAt, expiresAt);
                }
                return new Row(state, record, expiresAt);
            }
        }
    }

    /** Judges a record that stands in the way of a claim. */
    protected static ClaimFound judge(Row row) {
        if ("COMPLETED".equals(row.state())) {
            return new ClaimFound(ClaimState.EXISTING, row.record());
        }
        return ClaimFound.BUSY;
    }

    /** Takes over an expired record; {@code true} if this transaction now holds it. */
    protected boolean reclaim(Connection connection, ClaimRequest request) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(RECLAIM)) {
            ps.setInt(1, request.fingerprint().version());
            ps.setBytes(2, request.fingerprint().digest());
            ps.setObject(3, timestamp(request.now()));
            ps.setObject(4, timestamp(request.expiresAt()));
            ps.setString(5, request.key().scope());
            ps.setString(6, request.key().key().value());
            ps.setObject(7, timestamp(request.now()));
            return ps.executeUpdate() == 1;
        }
    }

    /** Binds the insert of a new in-progress record, from parameter {@code first} on (6 parameters). */
    protected static void bindInsert(PreparedStatement ps, int first, ClaimRequest request) throws SQLException {
        ps.setString(first, request.key().scope());
        ps.setString(first + 1, request.key().key().value());
        ps.setInt(first + 2, request.fingerprint().version());
        ps.setBytes(first + 3, request.fingerprint().digest());
        ps.setObject(first + 4, timestamp(request.now()));
        ps.setObject(first + 5, timestamp(request.expiresAt()));
    }

    protected static final String INSERT_COLUMNS = "(scope, idempotency_key, fingerprint_version, fingerprint, state, "
            + "created_at, expires_at)";

    protected static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
