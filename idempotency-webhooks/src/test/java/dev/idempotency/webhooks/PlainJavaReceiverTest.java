package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.idempotency.jdbc.inbox.InboxResult;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.testing.H2DatabaseExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link WebhookVerifier} and {@code JdbcInbox} without a servlet container: a receiver on the JDK's HTTP
 * server that verifies, then applies each webhook id once. It is the plain-Java example of docs/webhooks.md.
 */
class PlainJavaReceiverTest {

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    private final WebhookSecret secret = WebhookSecret.generate();
    private final HttpClient client = HttpClient.newHttpClient();
    private HttpServer server;
    private JdbcInbox inbox;
    private WebhookVerifier verifier;

    @BeforeEach
    void start() throws Exception {
        inbox = JdbcInbox.builder().dataSource(db.dataSource()).purgeInterval(Duration.ZERO).build();
        try (Connection connection = db.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE ledger (entry VARCHAR(1000) NOT NULL)");
        }
        verifier = WebhookVerifier.create(secret);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ledger", this::receive);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        inbox.close();
    }

    @Test
    void verifiesThenAppliesEachWebhookOnce() throws Exception {
        byte[] body = "{\"type\":\"invoice.paid\",\"amount\":4200}".getBytes(StandardCharsets.UTF_8);
        SignedWebhook signed = WebhookSigner.create(secret).sign("msg_invoice_1", body);
        assertEquals(200, send(signed, body).statusCode());
        assertEquals(204, send(WebhookSigner.create(secret).sign("msg_invoice_1", body), body).statusCode());
        assertEquals(1, ledgerEntries());
        byte[] other = "{\"type\":\"invoice.paid\",\"amount\":9900}".getBytes(StandardCharsets.UTF_8);
        assertEquals(422, send(WebhookSigner.create(secret).sign("msg_invoice_1", other), other).statusCode());
        assertEquals(1, ledgerEntries());

        SignedWebhook forged = WebhookSigner.create(WebhookSecret.generate()).sign("msg_invoice_2", body);
        HttpResponse<String> refused = send(forged, body);
        assertEquals(401, refused.statusCode());
        assertTrue(refused.body().contains("None of the 1 v1 signature(s)"), refused.body());
        assertEquals(1, ledgerEntries());
    }

    private void receive(HttpExchange exchange) throws IOException {
        try (exchange) {
            DataSource ledger = inbox.transactionalDataSource();
            // tag::verifier[]
            byte[] body = exchange.getRequestBody().readAllBytes();   // the raw bytes, before any parsing
            try {
                VerifiedWebhook webhook = verifier.verify(exchange.getRequestHeaders(), body);
                InboxResult<Void> result = inbox.process("ledger", webhook.id(), body, () -> {
                    record(ledger, body);                             // joins the inbox's transaction
                    return null;
                });
                // Reused: this id was applied before with another body, which this one must not pass for.
                int status = result instanceof InboxResult.Reused ? 422 : result.duplicate() ? 204 : 200;
                exchange.sendResponseHeaders(status, -1);
            } catch (WebhookVerificationException e) {
                // e.getMessage() says what to check, e.reason() which check failed; nothing was applied.
                byte[] problem = e.getMessage().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(401, problem.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(problem);
                }
            }
            // end::verifier[]
            catch (Exception e) {
                exchange.sendResponseHeaders(500, -1);
            }
        }
    }

    private static void record(DataSource ledger, byte[] body) throws SQLException {
        try (Connection connection = ledger.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO ledger (entry) VALUES (?)")) {
            insert.setString(1, new String(body, StandardCharsets.UTF_8));
            insert.executeUpdate();
        }
    }

    private HttpResponse<String> send(SignedWebhook signed, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/ledger"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        signed.headers().forEach(h -> request.header(h.name(), h.value()));
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private int ledgerEntries() throws SQLException {
        try (Connection connection = db.dataSource().getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM ledger")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
