package dev.idempotency.benchmarks;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The pattern most idempotency middlewares implement, reimplemented here as a baseline to measure the library
 * against. It is not the code of any project: it is the design, in as few lines as it takes, with no more
 * round trips than the design needs.
 *
 * <ol>
 * <li>Claim: insert an in-progress row for (scope, key) with the request's fingerprint, in its own
 * transaction (auto-commit, one statement: {@code ON CONFLICT DO NOTHING} on PostgreSQL,
 * {@code INSERT IGNORE} on MariaDB). Commit 1.</li>
 * <li>If the row existed: read it; a completed one is replayed, one in progress answers 409, one with another
 * fingerprint 422.</li>
 * <li>Otherwise run the handler, which commits its own transaction (commit 2), then store its response in the
 * row (auto-commit, commit 3); a 5xx or an exception deletes the row instead, so a retry runs again.</li>
 * </ol>
 *
 * <p>So a new key costs three commits where the library's transaction mode costs one, and a crash between the
 * handler's commit and the response's leaves a key in progress for an effect that happened: the weakness
 * the library's single transaction removes. Only what the benchmark sends is handled: POST, a body, a
 * {@code Location} and a body to replay.
 */
final class TwoCommitFilter implements Filter {

    static final String TABLE = "two_commit_keys";

    private final DataSource pool;
    private final String claim;

    private TwoCommitFilter(DataSource pool, String claim) {
        this.pool = pool;
        this.claim = claim;
    }

    /** The filter on {@code pool}, with its table created now. */
    static TwoCommitFilter create(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            boolean postgres = connection.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
            statement.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (scope VARCHAR(255) NOT NULL, "
                    + "idem_key VARCHAR(255) NOT NULL, fingerprint CHAR(64) NOT NULL, status INT, "
                    + "location VARCHAR(255), body TEXT, PRIMARY KEY (scope, idem_key))");
            String insert = "INSERT " + (postgres ? "" : "IGNORE ") + "INTO " + TABLE
                    + " (scope, idem_key, fingerprint) VALUES (?, ?, ?)" + (postgres ? " ON CONFLICT DO NOTHING" : "");
            return new TwoCommitFilter(pool, insert);
        }
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        String key = request.getHeader("Idempotency-Key");
        String scope = request.getHeader(BenchServer.CLIENT_HEADER);
        if (key == null || scope == null || !"POST".equals(request.getMethod())) {
            chain.doFilter(req, res);
            return;
        }
        byte[] body = request.getInputStream().readAllBytes();
        String fingerprint = fingerprint(request.getRequestURI(), body);
        try {
            if (!claim(scope, key, fingerprint)) {
                answerFromRow(scope, key, fingerprint, response);
                return;
            }
            Captured captured = new Captured(response);
            try {
                chain.doFilter(new Replayable(request, body), captured);
            } catch (IOException | ServletException | RuntimeException e) {
                release(scope, key);
                throw e;
            }
            if (captured.getStatus() >= 500) {
                release(scope, key);
            } else {
                complete(scope, key, captured);
            }
            captured.sendTo(response);
        } catch (SQLException e) {
            throw new ServletException("The idempotency table could not be used", e);
        }
    }

    private boolean claim(String scope, String key, String fingerprint) throws SQLException {
        try (Connection connection = pool.getConnection(); PreparedStatement insert = connection.prepareStatement(claim)) {
            insert.setString(1, scope);
            insert.setString(2, key);
            insert.setString(3, fingerprint);
            return insert.executeUpdate() == 1;
        }
    }

    private void answerFromRow(String scope, String key, String fingerprint, HttpServletResponse response)
            throws SQLException, IOException {
        try (Connection connection = pool.getConnection(); PreparedStatement select = connection.prepareStatement(
                "SELECT fingerprint, status, location, body FROM " + TABLE + " WHERE scope = ? AND idem_key = ?")) {
            select.setString(1, scope);
            select.setString(2, key);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    response.sendError(409, "The key was released while this request looked at it");
                } else if (!row.getString(1).equals(fingerprint)) {
                    response.sendError(422, "The key was used with another request");
                } else if (row.getObject(2) == null) {
                    response.sendError(409, "A request with this key is in progress");
                } else {
                    byte[] stored = row.getString(4).getBytes(StandardCharsets.UTF_8);
                    response.setStatus(row.getInt(2));
                    if (row.getString(3) != null) {
                        response.setHeader("Location", row.getString(3));
                    }
                    response.setHeader("Idempotent-Replayed", "true");
                    response.setContentType("application/json");
                    response.setContentLength(stored.length);
                    response.getOutputStream().write(stored);
                }
            }
        }
    }

    private void complete(String scope, String key, Captured captured) throws SQLException {
        try (Connection connection = pool.getConnection(); PreparedStatement update = connection.prepareStatement(
                "UPDATE " + TABLE + " SET status = ?, location = ?, body = ? WHERE scope = ? AND idem_key = ?")) {
            update.setInt(1, captured.getStatus());
            update.setString(2, captured.getHeader("Location"));
            update.setString(3, captured.body.toString(StandardCharsets.UTF_8));
            update.setString(4, scope);
            update.setString(5, key);
            update.executeUpdate();
        }
    }

    private void release(String scope, String key) throws SQLException {
        try (Connection connection = pool.getConnection(); PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM " + TABLE + " WHERE scope = ? AND idem_key = ?")) {
            delete.setString(1, scope);
            delete.setString(2, key);
            delete.executeUpdate();
        }
    }

    private static String fingerprint(String path, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(("POST " + path + "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The request with its body read once and served again. */
    private static final class Replayable extends HttpServletRequestWrapper {
        private final byte[] body;

        Replayable(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream bytes = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return bytes.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return bytes.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return bytes.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("blocking reads only");
                }
            };
        }
    }

    /** The response held back until its outcome is stored; the handler writes through the output stream. */
    private static final class Captured extends HttpServletResponseWrapper {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        Captured(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() {
            return new ServletOutputStream() {
                @Override
                public void write(int b) {
                    body.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    body.write(b, off, len);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    throw new UnsupportedOperationException("blocking writes only");
                }
            };
        }

        @Override
        public PrintWriter getWriter() {
            return new PrintWriter(body, true, StandardCharsets.UTF_8);
        }

        @Override
        public void setContentLength(int length) {
            // Set again from the captured bytes when sent.
        }

        void sendTo(HttpServletResponse response) throws IOException {
            byte[] bytes = body.toByteArray();
            response.setContentLength(bytes.length);
            response.getOutputStream().write(bytes);
        }
    }

    @Override
    public String toString() {
        return "TwoCommitFilter[" + Objects.toString(pool) + "]";
    }
}
