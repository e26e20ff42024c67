package dev.idempotency.jdbc.outbox;

import dev.idempotency.jdbc.internal.HeaderCodec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collections;

/** The outbox's SQL, the same on PostgreSQL and H2. */
final class OutboxSql {

    static final String TABLE = "idempotency_outbox";

    /** The columns {@link #message} reads, from column 1. */
    static final String MESSAGE_COLUMNS = "id, destination, message_key, payload, headers, created_at";

    static final String INSERT = "INSERT INTO " + TABLE + " (id, destination, message_key, payload, headers, "
            + "created_at, state, attempts, available_at) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', 0, ?)";

    /**
     * Without ordering: the earliest due messages, locked, skipping those another claim holds (so concurrent
     * relays share the work instead of waiting for each other).
     */
    static final String CLAIM_DUE = "SELECT " + MESSAGE_COLUMNS + ", seq, attempts FROM " + TABLE
            + " WHERE state = 'PENDING' AND available_at <= ? ORDER BY available_at, seq FETCH FIRST ? ROWS ONLY "
            + "FOR UPDATE SKIP LOCKED";

    /**
     * With ordering: a window of unfinished messages (pending or dead) in enqueue order, after a given seq,
     * read without locks; the relay picks the runs it can claim from it.
     */
    static final String UNFINISHED_WINDOW = "SELECT seq, id, message_key, state, available_at FROM " + TABLE
            + " WHERE state <> 'DELIVERED' AND seq > ? ORDER BY seq FETCH FIRST ? ROWS ONLY";

    /** Of {@code keys} keys, those with an unfinished message at or before a given seq. */
    static String keysUnfinishedBefore(int keys) {
        return "SELECT v.message_key FROM (VALUES " + String.join(", ", Collections.nCopies(keys, "(?)"))
                + ") AS v(message_key) WHERE EXISTS (SELECT 1 FROM " + TABLE + " e WHERE e.message_key = v.message_key "
                + "AND e.state <> 'DELIVERED' AND e.seq <= ?)";
    }

    /** Locks the picked messages, skipping those another transaction holds, and reads them as they are now. */
    static String lockPicked(int messages) {
        return "SELECT " + MESSAGE_COLUMNS + ", seq, attempts, state, available_at FROM " + TABLE + " WHERE id IN ("
                + placeholders(messages) + ") FOR UPDATE SKIP LOCKED";
    }

    /** Leases claimed messages: each is due again when the lease ends, unless marked before. */
    static String lease(int messages) {
        return "UPDATE " + TABLE + " SET available_at = ?, lease_token = ?, attempts = attempts + 1, "
                + "last_attempt_at = ? WHERE id IN (" + placeholders(messages) + ")";
    }

    // Every mark names the lease it was claimed under: a relay whose lease expired and was taken over changes
    // nothing.

    static String deleteDelivered(int messages) {
        return "DELETE FROM " + TABLE + " WHERE lease_token = ? AND id IN (" + placeholders(messages) + ")";
    }

    static String markDelivered(int messages) {
        return "UPDATE " + TABLE + " SET state = 'DELIVERED', delivered_at = ?, lease_token = NULL, last_error = NULL "
                + "WHERE lease_token = ? AND id IN (" + placeholders(messages) + ")";
    }

    /** Gives back claimed messages that were not attempted, due at once, without counting the attempt. */
    static String release(int messages) {
        return "UPDATE " + TABLE + " SET attempts = attempts - 1, available_at = ?, lease_token = NULL "
                + "WHERE lease_token = ? AND id IN (" + placeholders(messages) + ")";
    }

    static final String MARK_RETRY = "UPDATE " + TABLE + " SET available_at = ?, last_error = ?, lease_token = NULL "
            + "WHERE id = ? AND lease_token = ?";

    static final String MARK_DEAD = "UPDATE " + TABLE + " SET state = 'DEAD', last_error = ?, lease_token = NULL "
            + "WHERE id = ? AND lease_token = ?";

    static final String DEAD = "SELECT " + MESSAGE_COLUMNS + ", attempts, last_error, last_attempt_at FROM " + TABLE
            + " WHERE state = 'DEAD' ORDER BY seq FETCH FIRST ? ROWS ONLY";

    static final String REQUEUE = "UPDATE " + TABLE + " SET state = 'PENDING', attempts = 0, available_at = ?, "
            + "lease_token = NULL WHERE id = ? AND state = 'DEAD'";

    static final String REQUEUE_BATCH = "UPDATE " + TABLE + " SET state = 'PENDING', attempts = 0, available_at = ?, "
            + "lease_token = NULL WHERE id IN (SELECT id FROM " + TABLE
            + " WHERE state = 'DEAD' FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";

    static final String DISCARD = "DELETE FROM " + TABLE + " WHERE id = ? AND state = 'DEAD'";

    static final String PURGE_DELIVERED = "DELETE FROM " + TABLE + " WHERE id IN (SELECT id FROM " + TABLE
            + " WHERE state = 'DELIVERED' AND delivered_at <= ? FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";

    static final String COUNT_PENDING = "SELECT count(*) FROM " + TABLE + " WHERE state = 'PENDING'";

    private OutboxSql() {
    }

    /** {@code n} comma-separated parameter placeholders. */
    static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    /** Binds the insert of {@code message}, available from {@code now}. */
    static void bindInsert(PreparedStatement ps, OutboxMessage message, Instant now) throws SQLException {
        ps.setString(1, message.id());
        ps.setString(2, message.destination());
        ps.setString(3, message.key());
        ps.setBytes(4, message.payload());
        ps.setString(5, HeaderCodec.encode(message.headers()));
        ps.setObject(6, timestamp(message.createdAt()));
        ps.setObject(7, timestamp(now));
    }

    /** The message in {@link #MESSAGE_COLUMNS} of the current row. */
    static OutboxMessage message(ResultSet rs) throws SQLException {
        byte[] payload = rs.getBytes(4);
        return new OutboxMessage(rs.getString(1), rs.getString(2), rs.getString(3),
                payload == null ? new byte[0] : payload, HeaderCodec.decode(rs.getString(5)), instant(rs, 6));
    }

    static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
