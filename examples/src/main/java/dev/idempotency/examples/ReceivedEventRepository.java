package dev.idempotency.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The SQL of the {@code received_events} table, in plain JDBC, written once for PostgreSQL, H2, MariaDB and MySQL:
 * only points in time differ, and {@link DatabaseFlavour} passes them.
 *
 * <p>It is given the inbox's {@link dev.idempotency.jdbc.TransactionJoiningDataSource}: inside the webhook
 * receiver's handler, {@link DataSource#getConnection()} returns the inbox transaction's connection, so a
 * receipt commits together with the inbox's marker for its {@code webhook-id}, or not at all. Elsewhere
 * (listing) it is the pool.
 */
final class ReceivedEventRepository {

    /** The most receipts {@link #latest()} returns. */
    static final int LATEST_LIMIT = 100;

    private static final String COLUMNS = "id, webhook_id, event_type, post_id, account_id, payload, received_at";

    private final DataSource dataSource;
    private final DatabaseFlavour flavour;

    ReceivedEventRepository(DataSource dataSource, DatabaseFlavour flavour) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.flavour = Objects.requireNonNull(flavour, "flavour");
    }

    /** Records a received event at {@code now}; returns it with its generated id. */
    ReceivedEvent insert(String webhookId, String type, long postId, String accountId, String payload, Instant now)
            throws SQLException {
        Instant receivedAt = now.truncatedTo(ChronoUnit.MICROS);
        // dataSource is inbox.transactionalDataSource(): inside the receiver's handler this is the inbox's
        // transaction, so the receipt commits with the marker of its webhook-id (or rolls back with it).
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO received_events (webhook_id, "
                        + "event_type, post_id, account_id, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                        new String[] {"id"})) {
            insert.setString(1, webhookId);
            insert.setString(2, type);
            insert.setLong(3, postId);
            insert.setString(4, accountId);
            insert.setString(5, payload);
            flavour.setInstant(insert, 6, receivedAt);
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("The database returned no id for the received event");
                }
                return new ReceivedEvent(keys.getLong(1), webhookId, type, postId, accountId, payload, receivedAt);
            }
        }
    }

    /** The receipts of events about post {@code postId}, in the order they were recorded. */
    List<ReceivedEvent> findByPostId(long postId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM received_events WHERE post_id = ? ORDER BY id")) {
            select.setLong(1, postId);
            return readAll(select);
        }
    }

    /** The latest {@value #LATEST_LIMIT} receipts, in the order they were recorded. */
    List<ReceivedEvent> latest() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM received_events ORDER BY id DESC LIMIT ?")) {
            select.setInt(1, LATEST_LIMIT);
            List<ReceivedEvent> newestFirst = readAll(select);
            Collections.reverse(newestFirst);
            return newestFirst;
        }
    }

    private List<ReceivedEvent> readAll(PreparedStatement select) throws SQLException {
        try (ResultSet rows = select.executeQuery()) {
            List<ReceivedEvent> events = new ArrayList<>();
            while (rows.next()) {
                events.add(new ReceivedEvent(rows.getLong("id"), rows.getString("webhook_id"),
                        rows.getString("event_type"), rows.getLong("post_id"), rows.getString("account_id"),
                        rows.getString("payload"), flavour.getInstant(rows, "received_at")));
            }
            return events;
        }
    }
}
