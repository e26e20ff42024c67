package dev.idempotency.kafka;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The business table of the tests: one row per effect a handler committed, with no unique key, so that a
 * message applied twice shows as two rows. {@code applied_seq} numbers the effects in the order the handlers
 * ran, for the order checks.
 */
final class Effects {

    static final String TABLE = "kafka_effects";
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private Effects() {
    }

    static void createTable(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (consumer VARCHAR(255) NOT NULL, message_id VARCHAR(255) "
                    + "NOT NULL, record_key VARCHAR(255), applied_seq BIGINT NOT NULL)");
        }
    }

    /** The handler's write: through the inbox's transactional DataSource, so it commits with the marker. */
    static void insert(DataSource transactional, String consumer, String messageId, String key) throws SQLException {
        try (Connection c = transactional.getConnection(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO " + TABLE + " (consumer, message_id, record_key, applied_seq) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, consumer);
            insert.setString(2, messageId);
            insert.setString(3, key);
            insert.setLong(4, SEQUENCE.incrementAndGet());
            insert.executeUpdate();
        }
    }

    /** The effects of {@code consumer}, by message id. */
    static Map<String, Integer> countsByMessageId(DataSource pool, String consumer) throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection c = pool.getConnection(); PreparedStatement select = c.prepareStatement(
                "SELECT message_id, COUNT(*) FROM " + TABLE + " WHERE consumer = ? GROUP BY message_id")) {
            select.setString(1, consumer);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getInt(2));
                }
            }
        }
        return counts;
    }

    /** The message ids {@code consumer} applied for {@code key}, in the order they were applied. */
    static List<String> appliedInOrder(DataSource pool, String consumer, String key) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = pool.getConnection(); PreparedStatement select = c.prepareStatement(
                "SELECT message_id FROM " + TABLE + " WHERE consumer = ? AND record_key = ? ORDER BY applied_seq")) {
            select.setString(1, consumer);
            select.setString(2, key);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
        }
        return ids;
    }

    /** How many effects {@code consumer} has, every message together. */
    static int total(DataSource pool, String consumer) throws SQLException {
        return countsByMessageId(pool, consumer).values().stream().mapToInt(Integer::intValue).sum();
    }
}
