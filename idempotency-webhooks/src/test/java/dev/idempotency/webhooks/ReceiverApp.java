package dev.idempotency.webhooks;

import dev.idempotency.jdbc.inbox.JdbcInbox;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A webhook receiver on a real Jetty 12 (ee10) server and a real database: {@link WebhookReceiverFilter} on
 * {@code /webhooks/*} (consumer {@value #CONSUMER}) and on {@code /audit/*} (consumer {@value #AUDIT_CONSUMER}),
 * in front of {@link DeliveryServlet}, which inserts one row per delivery into {@code webhook_deliveries}
 * through the inbox's transaction-joining DataSource and answers 200 with a small JSON body.
 *
 * <p>Unsigned test-only request headers make the handler misbehave after its insert: {@code X-Test-Throw}
 * (throws), {@code X-Test-Status} (answers that status), {@code X-Test-Sleep-Ms} (sleeps before answering),
 * {@code X-Test-Deferred-Violation} (PostgreSQL: breaks a deferred constraint, so the commit fails),
 * {@code X-Test-Body-Bytes} (answers 200 with a body of that many bytes), {@code X-Test-Cookie} (adds a cookie
 * {@code delivery} with that value).
 */
final class ReceiverApp implements AutoCloseable {

    static final String CONSUMER = "orders-webhooks";
    static final String AUDIT_CONSUMER = "audit-webhooks";
    static final int MAX_BODY_BYTES = 64 * 1024;

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Server server;
    private final JdbcInbox inbox;
    private final DataSource pool;
    final AtomicInteger handlerRuns = new AtomicInteger();

    private ReceiverApp(DataSource pool, List<WebhookSecret> secrets, Clock clock) throws Exception {
        this.pool = pool;
        this.inbox = JdbcInbox.builder().dataSource(pool).purgeInterval(Duration.ZERO).build();
        createTable(pool);
        server = new Server(0);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        DeliveryServlet servlet = new DeliveryServlet(inbox.transactionalDataSource(), handlerRuns);
        // tag::receiver-registration[]
        WebhookReceiverFilter receiver = WebhookReceiverFilter.builder(inbox, "orders-webhooks")
                .secrets(secrets)                      // the current secret, and during a rotation the old one
                .tolerance(Duration.ofMinutes(5))      // the default
                .maxBodyBytes(64 * 1024)               // larger bodies get 413, unread
                .clock(clock)
                .build();
        context.addFilter(new FilterHolder(receiver), "/webhooks/*", EnumSet.of(DispatcherType.REQUEST));
        // end::receiver-registration[]
        WebhookReceiverFilter audit = WebhookReceiverFilter.builder(inbox, AUDIT_CONSUMER).secrets(secrets)
                .maxBodyBytes(MAX_BODY_BYTES).clock(clock).build();
        context.addFilter(new FilterHolder(audit), "/audit/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(servlet), "/webhooks/*");
        context.addServlet(new ServletHolder(servlet), "/audit/*");
        server.setHandler(context);
        server.start();
    }

    static ReceiverApp start(DataSource pool, List<WebhookSecret> secrets, Clock clock) throws Exception {
        return new ReceiverApp(pool, secrets, clock);
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + path);
    }

    /** POSTs {@code body} with the signature headers of {@code signed} and extra header name/value pairs. */
    HttpResponse<String> deliver(String path, SignedWebhook signed, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signed != null) {
            signed.headers().forEach(h -> request.header(h.name(), h.value()));
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Rows the handler committed for {@code webhookId}, read on a fresh connection. */
    int deliveries(String webhookId) throws SQLException {
        return count("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?", webhookId);
    }

    /** Inbox markers committed for {@code webhookId}, under any consumer. */
    int markers(String webhookId) throws SQLException {
        return count("SELECT COUNT(*) FROM " + JdbcInbox.TABLE + " WHERE message_id = ?", webhookId);
    }

    /** The bodies of the rows the handler committed for {@code webhookId}. */
    List<String> bodies(String webhookId) throws SQLException {
        try (Connection connection = pool.getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT body FROM webhook_deliveries WHERE webhook_id = ?")) {
            query.setString(1, webhookId);
            List<String> bodies = new ArrayList<>();
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    bodies.add(rows.getString(1));
                }
            }
            return bodies;
        }
    }

    private int count(String sql, String webhookId) throws SQLException {
        try (Connection connection = pool.getConnection();
                PreparedStatement query = connection.prepareStatement(sql)) {
            query.setString(1, webhookId);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    private static void createTable(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS webhook_deliveries (webhook_id VARCHAR(255) NOT NULL, "
                    + "path VARCHAR(100) NOT NULL, body VARCHAR(4000) NOT NULL)");
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Could not stop the receiver's Jetty server", e);
        } finally {
            inbox.close();
        }
    }

    /** The application's handler: it knows nothing of signatures or duplicates. */
    static final class DeliveryServlet extends HttpServlet {

        private static final long serialVersionUID = 1L;

        private final transient DataSource dataSource;
        private final transient AtomicInteger runs;

        DeliveryServlet(DataSource dataSource, AtomicInteger runs) {
            this.dataSource = dataSource;
            this.runs = runs;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            runs.incrementAndGet();
            // tag::handler[]
            VerifiedWebhook webhook = (VerifiedWebhook) request.getAttribute(WebhookReceiverFilter.WEBHOOK_ATTRIBUTE);
            String payload = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // dataSource is inbox.transactionalDataSource(): the insert commits with the inbox's marker for
            // this webhook-id, or rolls back with it if this handler throws or answers anything but 2xx.
            try (Connection connection = dataSource.getConnection();
                    PreparedStatement insert = connection.prepareStatement(
                            "INSERT INTO webhook_deliveries (webhook_id, path, body) VALUES (?, ?, ?)")) {
                insert.setString(1, webhook.id());
                insert.setString(2, request.getRequestURI());
                insert.setString(3, payload);
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IOException("Could not record webhook " + webhook.id(), e);
            }
            // end::handler[]
            if (request.getHeader("X-Test-Deferred-Violation") != null) {
                breakADeferredConstraint();
            }
            misbehave(request, response);
            if (response.isCommitted()) {
                return;
            }
            response.setContentType("application/json");
            response.getWriter().write("{\"received\":\"" + webhook.id() + "\"}");
        }

        /** PostgreSQL: two equal keys under a constraint checked at commit, so the commit fails. */
        private void breakADeferredConstraint() throws IOException {
            try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("INSERT INTO webhook_deferred_check (k) VALUES (1), (1)");
            } catch (SQLException e) {
                throw new IOException(e);
            }
        }

        private static void misbehave(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String sleep = request.getHeader("X-Test-Sleep-Ms");
            if (sleep != null) {
                try {
                    Thread.sleep(Long.parseLong(sleep));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            if (request.getHeader("X-Test-Throw") != null) {
                throw new IllegalStateException("the handler failed after its insert");
            }
            String cookie = request.getHeader("X-Test-Cookie");
            if (cookie != null) {
                response.addCookie(new Cookie("delivery", cookie));
            }
            String bodyBytes = request.getHeader("X-Test-Body-Bytes");
            if (bodyBytes != null) {
                response.setContentType("application/octet-stream");
                response.getOutputStream().write(new byte[Integer.parseInt(bodyBytes)]);
                response.flushBuffer();
            }
            String status = request.getHeader("X-Test-Status");
            if (status != null) {
                response.setStatus(Integer.parseInt(status));
                response.setContentType("text/plain");
                response.getWriter().write("handler answered " + status);
                response.flushBuffer();
            }
        }
    }
}
