package dev.idempotency.jdbc.internal;

import dev.idempotency.jdbc.outbox.OutboxMessage;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;

/**
 * The outbox's statements on its table, {@value #TABLE}: the same on PostgreSQL and H2, with a few of their own
 * on MariaDB and MySQL, and had by each dialect's {@link SqlDialect#outbox()}. Statements over many messages name them in IN lists of at most
 * {@value #MAX_IDS_PER_STATEMENT}.
 */
public final class OutboxSql {

    /** The table holding the messages. */
    public static final String TABLE = "idempotency_outbox";

    /** The longest IN list of one statement. */
    public static final int MAX_IDS_PER_STATEMENT = 1000;

    /** The columns {@link #message} reads, from column 1. */
    private static final String MESSAGE_COLUMNS = "id, destination, message_key, payload, headers, created_at";

    private static final String INSERT = "INSERT INTO " + TABLE + " (id, destination, message_key, payload, headers, "
            + "created_at, state, attempts, available_at) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', 0, ?)";

    private static final String MARK_RETRY = "UPDATE " + TABLE + " SET available_at = ?, last_error = ?, "
            + "lease_token = NULL WHERE id = ? AND lease_token = ?";

    private static final String MARK_DEAD = "UPDATE " + TABLE + " SET state = 'DEAD', last_error = ?, "
            + "lease_token = NULL WHERE id = ? AND lease_token = ?";

    private static final String REQUEUE = "UPDATE " + TABLE + " SET state = 'PENDING', attempts = 0, "
            + "available_at = ?, lease_token = NULL WHERE id = ? AND state = 'DEAD'";

    private static final String DISCARD = "DELETE FROM " + TABLE + " WHERE id = ? AND state = 'DEAD'";

    private static final String COUNT_PENDING = "SELECT count(*) FROM " + TABLE + " WHERE state = 'PENDING'";
    // One pass over the unfinished messages (their partial index), however many have been delivered.
    private static final String BACKLOG = "SELECT count(CASE WHEN state = 'PENDING' THEN 1 END), "
            + "min(CASE WHEN state = 'PENDING' THEN created_at END), count(CASE WHEN state = 'DEAD' THEN 1 END) "
            + "FROM " + TABLE + " WHERE state <> 'DELIVERED'";

    /** PostgreSQL and H2: {@code FETCH FIRST}, and {@code SKIP LOCKED} in the subqueries of updates and deletes. */
    static final OutboxSql STANDARD = new OutboxSql(SqlTimes.WITH_TIME_ZONE, false);

    /**
     * MariaDB and MySQL: {@code LIMIT}, since MySQL has no {@code FETCH FIRST}; and since neither takes a
     * {@code LIMIT} in a subquery of an update or a delete, re-queueing dead messages and purging delivered
     * ones limit the update or delete itself, without {@code SKIP LOCKED} (which neither engine has there):
     * the rows they touch are dead or delivered ones, which no relay holds, so at worst two of them wait for
     * each other for one short batch.
     */
    static final OutboxSql MYSQL = new OutboxSql(SqlTimes.UTC_DATETIME, true);

    private final SqlTimes times;
    private final boolean mysql;
    private final String claimDue;
    private final String unfinishedWindow;
    private final String dead;
    private final String requeueDead;
    private final String purgeDelivered;

    private OutboxSql(SqlTimes times, boolean mysql) {
        this.times = times;
        this.mysql = mysql;
        String first = mysql ? " LIMIT ?" : " FETCH FIRST ? ROWS ONLY";
        claimDue = "SELECT " + MESSAGE_COLUMNS + ", seq, attempts FROM " + TABLE
                + " WHERE state = 'PENDING' AND available_at <= ? ORDER BY available_at, seq" + first
                + " FOR UPDATE SKIP LOCKED";
        unfinishedWindow = "SELECT seq, id, message_key, state, available_at FROM " + TABLE
                + " WHERE state <> 'DELIVERED' AND seq > ? ORDER BY seq" + first;
        dead = "SELECT " + MESSAGE_COLUMNS + ", attempts, last_error, last_attempt_at FROM " + TABLE
                + " WHERE state = 'DEAD' ORDER BY seq" + first;
        requeueDead = mysql
                ? "UPDATE " + TABLE + " SET state = 'PENDING', attempts = 0, available_at = ?, lease_token = NULL "
                        + "WHERE state = 'DEAD' ORDER BY seq LIMIT ?"
                : "UPDATE " + TABLE + " SET state = 'PENDING', attempts = 0, available_at = ?, lease_token = NULL "
                        + "WHERE id IN (SELECT id FROM " + TABLE + " WHERE state = 'DEAD' FETCH FIRST ? ROWS ONLY "
                        + "FOR UPDATE SKIP LOCKED)";
        purgeDelivered = mysql
                ? "DELETE FROM " + TABLE + " WHERE state = 'DELIVERED' AND delivered_at <= ? ORDER BY delivered_at "
                        + "LIMIT ?"
                : "DELETE FROM " + TABLE + " WHERE id IN (SELECT id FROM " + TABLE + " WHERE state = 'DELIVERED' "
                        + "AND delivered_at <= ? FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED)";
    }

    /** {@code instant} as a parameter of this engine's time columns. */
    public Object timestamp(Instant instant) {
        return times.parameter(instant);
    }

    /** The point in time in {@code column} of the current row, or {@code null}. */
    public Instant instant(ResultSet rs, int column) throws SQLException {
        return times.read(rs, column);
    }

    /** Inserts a message, pending and due at once; bind it with {@link #bindInsert}. */
    public String insert() {
        return INSERT;
    }

    /**
     * Without ordering: the earliest due messages ({@link #message}, then seq and attempts), locked, skipping
     * those another claim holds (so concurrent relays share the work instead of waiting for each other).
     * Parameters: now, how many.
     */
    public String claimDue() {
        return claimDue;
    }

    /**
     * With ordering: a window of unfinished messages (pending or dead) in enqueue order, after a given seq,
     * read without locks (seq, id, key, state, due time); the relay picks the runs it can claim from it.
     * Parameters: the seq to start after, how many.
     */
    public String unfinishedWindow() {
        return unfinishedWindow;
    }

    /** Of {@code keys} keys, those with an unfinished message at or before a given seq (the last parameter). */
    public String keysUnfinishedBefore(int keys) {
        if (mysql) {
            // Neither engine names the columns of a VALUES list the same way; asking the table is the same answer.
            return "SELECT DISTINCT message_key FROM " + TABLE + " WHERE message_key IN (" + SqlValues.placeholders(keys)
                    + ") AND state <> 'DELIVERED' AND seq <= ?";
        }
        return "SELECT v.message_key FROM (VALUES " + String.join(", ", Collections.nCopies(keys, "(?)"))
                + ") AS v(message_key) WHERE EXISTS (SELECT 1 FROM " + TABLE + " e WHERE e.message_key = v.message_key "
                + "AND e.state <> 'DELIVERED' AND e.seq <= ?)";
    }

    /**
     * Locks the picked messages, skipping those another transaction holds, and reads them as they are now:
     * {@link #message}, then seq, attempts, state and due time.
     */
    public String lockPicked(int messages) {
        return "SELECT " + MESSAGE_COLUMNS + ", seq, attempts, state, available_at FROM " + TABLE + " WHERE id IN ("
                + SqlValues.placeholders(messages) + ") FOR UPDATE SKIP LOCKED";
    }

    /**
     * Leases claimed messages: each is due again when the lease ends, unless marked before. Parameters: the
     * lease's end, its token, now, the ids.
     */
    public String lease(int messages) {
        return "UPDATE " + TABLE + " SET available_at = ?, lease_token = ?, attempts = attempts + 1, "
                + "last_attempt_at = ? WHERE id IN (" + SqlValues.placeholders(messages) + ")";
    }

    // Every mark names the lease it was claimed under: a relay whose lease expired and was taken over changes
    // nothing.

    /** Deletes delivered messages. Parameters: the lease token, the ids. */
    public String deleteDelivered(int messages) {
        return "DELETE FROM " + TABLE + " WHERE lease_token = ? AND id IN (" + SqlValues.placeholders(messages) + ")";
    }

    /** Keeps delivered messages as delivered. Parameters: when, the lease token, the ids. */
    public String markDelivered(int messages) {
        return "UPDATE " + TABLE + " SET state = 'DELIVERED', delivered_at = ?, lease_token = NULL, last_error = NULL "
                + "WHERE lease_token = ? AND id IN (" + SqlValues.placeholders(messages) + ")";
    }

    /**
     * Gives back claimed messages that were not attempted, due at once, without counting the attempt.
     * Parameters: now, the lease token, the ids.
     */
    public String release(int messages) {
        return "UPDATE " + TABLE + " SET attempts = attempts - 1, available_at = ?, lease_token = NULL "
                + "WHERE lease_token = ? AND id IN (" + SqlValues.placeholders(messages) + ")";
    }

    /** Schedules a message's next attempt. Parameters: when, the error, the id, the lease token. */
    public String markRetry() {
        return MARK_RETRY;
    }

    /** Marks a message dead. Parameters: the error, the id, the lease token. */
    public String markDead() {
        return MARK_DEAD;
    }

    /** Dead messages, oldest first: {@link #message}, then attempts, last error, last attempt. Parameter: how many. */
    public String dead() {
        return dead;
    }

    /** Makes a dead message pending again. Parameters: when it is due, the id. */
    public String requeue() {
        return REQUEUE;
    }

    /** Makes dead messages pending again. Parameters: when they are due, how many. */
    public String requeueDead() {
        return requeueDead;
    }

    /** Deletes a dead message. Parameter: the id. */
    public String discard() {
        return DISCARD;
    }

    /** Deletes delivered messages, skipping those another transaction holds. Parameters: delivered before, how many. */
    public String purgeDelivered() {
        return purgeDelivered;
    }

    /** Counts the pending messages. */
    public String countPending() {
        return COUNT_PENDING;
    }

    /** Counts the pending messages, reads the oldest one's enqueue time, and counts the dead ones. */
    public String backlog() {
        return BACKLOG;
    }

    /** Binds {@link #insert()} for {@code message}, available from {@code now}. */
    public void bindInsert(PreparedStatement ps, OutboxMessage message, Instant now) throws SQLException {
        ps.setString(1, message.id());
        ps.setString(2, message.destination());
        ps.setString(3, message.key());
        ps.setBytes(4, message.payload());
        ps.setString(5, HeaderCodec.encode(message.headers()));
        ps.setObject(6, times.parameter(message.createdAt()));
        ps.setObject(7, times.parameter(now));
    }

    /** Binds {@code ids} from parameter {@code first} on. */
    public void bindIds(PreparedStatement ps, int first, List<String> ids) throws SQLException {
        for (int i = 0; i < ids.size(); i++) {
            ps.setString(first + i, ids.get(i));
        }
    }

    /** {@code ids} (or keys) in slices of at most {@value #MAX_IDS_PER_STATEMENT}, for IN lists. */
    public List<List<String>> slices(List<String> ids) {
        return SqlValues.slices(ids, MAX_IDS_PER_STATEMENT);
    }

    /** The message in the first six columns of the current row. */
    public OutboxMessage message(ResultSet rs) throws SQLException {
        byte[] payload = rs.getBytes(4);
        return new OutboxMessage(rs.getString(1), rs.getString(2), rs.getString(3),
                payload == null ? new byte[0] : payload, HeaderCodec.decode(rs.getString(5)),
                times.read(rs, 6));
    }
}
