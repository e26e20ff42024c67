package dev.idempotency.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The SQL of the {@code posts} table, in plain JDBC, written once for PostgreSQL, H2, MariaDB and MySQL:
 * only points in time differ, and {@link DatabaseFlavour} passes them.
 *
 * <p>It is given the store's {@link dev.idempotency.jdbc.TransactionJoiningDataSource}: inside an
 * idempotent request, {@link DataSource#getConnection()} returns the request's own connection, so an
 * insert commits together with the stored response, or is rolled back with it. That is why this class
 * never commits, and why closing the connection here is harmless: it only releases the handle.
 */
final class PostRepository {

    /** The longest {@code content} the table holds (its column is {@code VARCHAR(10000)}). */
    static final int MAX_CONTENT_LENGTH = 10_000;

    /** The longest {@code account_id} the table holds (its column is {@code VARCHAR(200)}). */
    static final int MAX_ACCOUNT_ID_LENGTH = 200;

    private final DataSource dataSource;
    private final DatabaseFlavour flavour;

    PostRepository(DataSource dataSource, DatabaseFlavour flavour) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.flavour = Objects.requireNonNull(flavour, "flavour");
    }

    /** Inserts a post created at {@code now} and returns it with its generated id. */
    Post insert(String accountId, String content, Instant now) throws SQLException {
        // Both databases keep microseconds; truncating first makes the answer equal what a later read returns.
        Instant createdAt = now.truncatedTo(ChronoUnit.MICROS);
        // tag::handler-write[]
        // dataSource is store.transactionalDataSource(): inside an idempotent request this is the request's
        // own connection, so the insert commits with the stored response (or rolls back with it).
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO posts (account_id, content, created_at) VALUES (?, ?, ?)", new String[] {"id"})) {
            insert.setString(1, accountId);
            insert.setString(2, content);
            flavour.setInstant(insert, 3, createdAt);
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("The database returned no id for the inserted post");
                }
                return new Post(keys.getLong(1), accountId, content, createdAt);
            }
        }
        // end::handler-write[]
    }

    /** The post with {@code id}, if there is one. */
    Optional<Post> findById(long id) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT id, account_id, content, created_at FROM posts WHERE id = ?")) {
            select.setLong(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(read(rows)) : Optional.empty();
            }
        }
    }

    /** The posts of {@code accountId}, oldest (lowest id) first. */
    List<Post> findByAccount(String accountId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT id, account_id, content, created_at FROM posts WHERE account_id = ? ORDER BY id")) {
            select.setString(1, accountId);
            try (ResultSet rows = select.executeQuery()) {
                List<Post> posts = new ArrayList<>();
                while (rows.next()) {
                    posts.add(read(rows));
                }
                return posts;
            }
        }
    }

    private Post read(ResultSet row) throws SQLException {
        return new Post(row.getLong("id"), row.getString("account_id"), row.getString("content"),
                flavour.getInstant(row, "created_at"));
    }

    /** Whether the database answers a trivial query. */
    boolean isReachable() {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement("SELECT 1");
                ResultSet row = select.executeQuery()) {
            return row.next();
        } catch (SQLException e) {
            return false;
        }
    }
}
