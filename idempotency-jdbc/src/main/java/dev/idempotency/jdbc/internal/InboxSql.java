package dev.idempotency.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The inbox's statements on its table of markers, {@value #TABLE}. How a marker is inserted over another
 * transaction's uncommitted one differs between engines: each dialect's {@link SqlDialect#inbox()} says how.
 */
public abstract class InboxSql {

    /** The table holding the markers. */
    public static final String TABLE = "idempotency_inbox";

    private static final String PRIMARY_KEY = "idempotency_inbox_pk";

    /** A new marker: consumer, message id, when it was applied, when it expires, the payload's digest. */
    protected static final String INSERT = "INSERT INTO " + TABLE
            + " (consumer, message_id, processed_at, expires_at, payload_sha256) VALUES (?, ?, ?, ?, ?)";

    private static final String SELECT_DIGEST = "SELECT payload_sha256 FROM " + TABLE
            + " WHERE consumer = ? AND message_id = ?";

    // Markers of transactions in progress are locked; SKIP LOCKED leaves them and lets several instances purge
    // at once.
    private static final String PURGE = "DELETE FROM " + TABLE + " WHERE (consumer, message_id) IN ("
            + "SELECT consumer, message_id FROM " + TABLE + " WHERE expires_at <= ? "
            + "FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";

    /**
     * MariaDB and MySQL take no {@code LIMIT} in a subquery of a delete, and no {@code SKIP LOCKED} in a delete:
     * the delete is limited itself. In READ COMMITTED it passes over the uncommitted markers of deliveries in
     * progress (it judges a locked row by its committed version, and they have none); an expired marker is
     * locked only for an instant, by a delivery of its message that finds it.
     */
    private static final String PURGE_LIMITED = "DELETE FROM " + TABLE + " WHERE expires_at <= ? ORDER BY expires_at "
            + "LIMIT ?";

    private final SqlTimes times;
    private final String purge;

    InboxSql(SqlTimes times) {
        this.times = times;
        this.purge = times == SqlTimes.UTC_DATETIME ? PURGE_LIMITED : PURGE;
    }

    /**
     * Inserts the marker in {@code transaction}. Another transaction's uncommitted marker of the same message
     * is waited for: when it commits this returns {@code false}, when it rolls back the insert goes ahead.
     *
     * @return {@code true} if the marker was inserted, {@code false} if a committed one was there
     */
    public abstract boolean insertMarker(Transaction transaction, String consumer, String messageId,
            Instant appliedAt, Instant expiresAt, byte[] digest) throws SQLException;

    /**
     * The marker's plain insert, for engines whose insert waits for a conflicting uncommitted marker only up to a
     * lock timeout of their own: a committed marker there fails it as a duplicate key ({@code false}); a wait that
     * ran out ({@code lockNotHad}) is waited again, as PostgreSQL waits, in a fresh transaction (nothing else
     * happened in this one yet), until the first delivery's transaction ends.
     */
    protected final boolean insertWaitingThroughLockTimeouts(Transaction transaction, String consumer,
            String messageId, Instant appliedAt, Instant expiresAt, byte[] digest,
            Predicate<SQLException> lockNotHad) throws SQLException {
        while (true) {
            try (PreparedStatement ps = transaction.connection().prepareStatement(INSERT)) {
                bindMarker(ps, consumer, messageId, appliedAt, expiresAt, digest);
                return ps.executeUpdate() == 1;
            } catch (SQLException e) {
                if (SqlErrors.isUniqueViolation(e)) {
                    return false;
                }
                if (!lockNotHad.test(e)) {
                    throw e;
                }
                transaction.restart();
            }
        }
    }

    /** Binds {@link #INSERT}. */
    protected void bindMarker(PreparedStatement ps, String consumer, String messageId, Instant appliedAt,
            Instant expiresAt, byte[] digest) throws SQLException {
        ps.setString(1, consumer);
        ps.setString(2, messageId);
        ps.setObject(3, times.parameter(appliedAt));
        ps.setObject(4, times.parameter(expiresAt));
        ps.setBytes(5, digest);
    }

    /** The payload digest the marker of the message keeps, or {@code null} if it keeps none or is gone. */
    public byte[] recordedDigest(Connection connection, String consumer, String messageId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(SELECT_DIGEST)) {
            ps.setString(1, consumer);
            ps.setString(2, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        }
    }

    /** Deletes up to {@code limit} markers that expired at {@code now}; the caller commits. */
    public int purge(Connection connection, Instant now, int limit) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(purge)) {
            ps.setObject(1, times.parameter(now));
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }

    /** Whether a failed commit was a marker's primary key: the unique constraint's last word. */
    public boolean isMarkerConflict(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && SqlErrors.isUniqueViolation(sql) && sql.getMessage() != null
                    && sql.getMessage().toLowerCase(Locale.ROOT).contains(PRIMARY_KEY)) {
                return true;
            }
        }
        return false;
    }
}
