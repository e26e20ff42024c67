package dev.idempotency.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * {@code POST /posts} as the demo handles it (examples' PostsServlet and PostRepository): parse the JSON
 * body, check {@code account_id} and {@code content}, insert one row into {@code posts}, answer 201 with
 * {@code Location} and the post as JSON. The only difference between the scenarios is how the insert is
 * committed, which {@link Commit} says.
 */
final class PostsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    /** How the handler's insert becomes durable. */
    enum Commit {
        /**
         * Behind the filter: the insert goes through the store's transaction-joining DataSource, so it
         * commits with the stored outcome (transaction mode), or on its own in auto-commit (lease mode).
         */
        JOINED,
        /** No filter: the handler opens its own transaction around the insert and commits it. */
        OWN_TRANSACTION,
        /** No filter: the insert runs in auto-commit, one statement and its implicit commit. */
        AUTO_COMMIT,
        /** No filter and no database: the answer is made up, to show what HTTP and JSON alone cost. */
        NO_DATABASE
    }

    private final transient DataSource dataSource;
    private final transient ObjectMapper json;
    private final Commit commit;
    private final transient Function<Instant, Object> timestamp;

    PostsServlet(DataSource dataSource, ObjectMapper json, Commit commit, Function<Instant, Object> timestamp) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.json = Objects.requireNonNull(json, "json");
        this.commit = Objects.requireNonNull(commit, "commit");
        this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        JsonNode body = json.readTree(request.getInputStream());
        String invalid = body == null || !body.isObject() ? "The request body must be a JSON object"
                : invalidField(body, "account_id", 200);
        if (invalid == null) {
            invalid = invalidField(body, "content", 10_000);
        }
        if (invalid != null) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType("text/plain");
            response.getWriter().write(invalid);
            return;
        }
        String accountId = body.get("account_id").asText();
        String content = body.get("content").asText();
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        long id;
        try {
            id = insert(accountId, content, createdAt);
        } catch (SQLException e) {
            throw new ServletException("Could not insert the post", e);
        }
        byte[] answer = json.writeValueAsBytes(json.createObjectNode().put("id", id).put("account_id", accountId)
                .put("content", content).put("created_at", createdAt.toString()));
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setHeader("Location", "/posts/" + id);
        response.setContentType("application/json");
        response.setContentLength(answer.length);
        response.getOutputStream().write(answer);
    }

    private long insert(String accountId, String content, Instant createdAt) throws SQLException {
        if (commit == Commit.NO_DATABASE) {
            return createdAt.getNano();
        }
        try (Connection connection = dataSource.getConnection()) {
            if (commit != Commit.OWN_TRANSACTION) {
                return insert(connection, accountId, content, createdAt);
            }
            connection.setAutoCommit(false);
            try {
                long id = insert(connection, accountId, content, createdAt);
                connection.commit();
                return id;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }

    private long insert(Connection connection, String accountId, String content, Instant createdAt)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO posts (account_id, content, created_at) VALUES (?, ?, ?)", new String[] {"id"})) {
            insert.setString(1, accountId);
            insert.setString(2, content);
            insert.setObject(3, timestamp.apply(createdAt));
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("The database returned no id for the inserted post");
                }
                return keys.getLong(1);
            }
        }
    }

    private static String invalidField(JsonNode body, String field, int maxLength) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            return "The field " + field + " must be a non-blank string";
        }
        return value.asText().length() > maxLength ? "The field " + field + " is too long" : null;
    }
}
