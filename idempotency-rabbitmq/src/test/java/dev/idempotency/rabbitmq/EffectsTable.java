package dev.idempotency.rabbitmq;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The business table of the consumer tests: one row per application of a message, with no key, so that a
 * second application of the same message would show as a second row.
 */
final class EffectsTable {

    static final String TABLE = "rabbit_effects";

    private EffectsTable() {
    }

    static void create(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (message_id VARCHAR(300) NOT NULL, "
                    + "detail VARCHAR(300))");
        }
    }

    /** Deletes every row, so that each test counts its own. */
    static void clear(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("DELETE FROM " + TABLE);
        }
    }

    /** The handler's write: through the inbox's transactional DataSource, so it commits with the marker. */
    static void insert(DataSource transactional, String messageId, String detail) throws SQLException {
        try (Connection connection = transactional.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + TABLE
                        + " (message_id, detail) VALUES (?, ?)")) {
            insert.setString(1, messageId);
            insert.setString(2, detail);
            insert.executeUpdate();
        }
    }

    /** Rows per message id. */
    static Map<String, Integer> countsById(DataSource pool) throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT message_id, COUNT(*) FROM " + TABLE
                        + " GROUP BY message_id")) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getInt(2));
            }
        }
        return counts;
    }

    /** Every row. */
    static long total(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + TABLE)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** The detail recorded for {@code messageId}, or {@code null}. */
    static String detail(DataSource pool, String messageId) throws SQLException {
        try (Connection connection = pool.getConnection(); PreparedStatement select = connection.prepareStatement(
                "SELECT detail FROM " + TABLE + " WHERE message_id = ?")) {
            select.setString(1, messageId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }
}
