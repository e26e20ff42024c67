package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.webhooks.VerifiedWebhook;
import dev.idempotency.webhooks.WebhookSecret;
import dev.idempotency.webhooks.WebhookVerifier;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the server starts and refuses to start, in-process. */
class PublishingApiServerStartupTest {

    @TempDir
    Path tmp;

    @Test
    void badKeyTtlFailsBeforeAnythingIsOpened() {
        Path dataDir = tmp.resolve("never-created");
        Options options = Options.defaults().withPort(0).withDataDir(dataDir).withKeyTtl("forever");

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> PublishingApiServer.start(options));

        assertTrue(e.getMessage().contains("--key-ttl"), e.getMessage());
        assertTrue(e.getMessage().contains("idempotency.key-ttl"), e.getMessage());
        assertTrue(e.getMessage().contains("'forever'"), e.getMessage());
        assertTrue(e.getMessage().contains("duration"), e.getMessage());
        assertFalse(Files.exists(dataDir), "no database may be created for a command line that cannot run");
    }

    /**
     * A key that would expire before the lease of {@code POST /payments} (lease mode) runs out is refused at
     * start, naming both options' properties.
     */
    @Test
    void keyTtlShorterThanTheLeaseIsRefusedNamingBoth() {
        Path dataDir = tmp.resolve("never-created");
        Options options = Options.defaults().withPort(0).withDataDir(dataDir).withKeyTtl("2s");

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> PublishingApiServer.start(options));

        assertTrue(e.getMessage().contains("--key-ttl (idempotency.key-ttl)") && e.getMessage().contains("'2s'")
                && e.getMessage().contains("idempotency.lease-duration"), e.getMessage());
        assertFalse(Files.exists(dataDir), "no database may be created for a command line that cannot run");
    }

    @Test
    void keyTtlOutOfRangeKeepsTheLibrarysExplanation() {
        Options zero = Options.defaults().withPort(0).withDataDir(tmp).withKeyTtl("0s");
        Options tooLong = Options.defaults().withPort(0).withDataDir(tmp).withKeyTtl("400d");

        IdempotencyConfigException zeroError = assertThrows(IdempotencyConfigException.class,
                () -> PublishingApiServer.start(zero));
        IdempotencyConfigException tooLongError = assertThrows(IdempotencyConfigException.class,
                () -> PublishingApiServer.start(tooLong));

        assertTrue(zeroError.getMessage().contains("'0s'") && zeroError.getMessage().contains("positive"),
                zeroError.getMessage());
        assertTrue(tooLongError.getMessage().contains("'400d'") && tooLongError.getMessage().contains("365d"),
                tooLongError.getMessage());
    }

    @Test
    void badLeaseDurationFailsBeforeAnythingIsOpenedNamingOptionAndValue() {
        Path dataDir = tmp.resolve("never-created");
        Options options = Options.defaults().withPort(0).withDataDir(dataDir).withLeaseDuration("500ms");

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> PublishingApiServer.start(options));

        assertTrue(e.getMessage().contains("--lease-duration"), e.getMessage());
        assertTrue(e.getMessage().contains("idempotency.lease-duration"), e.getMessage());
        assertTrue(e.getMessage().contains("'500ms'") && e.getMessage().contains("1s to 1h"), e.getMessage());
        assertFalse(Files.exists(dataDir), "no database may be created for a command line that cannot run");
    }

    @Test
    void badWebhookSecretFailsBeforeAnythingIsOpenedWithoutShowingTheSecret() {
        Path dataDir = tmp.resolve("never-created");
        String secret = "whsec_c2hvcnQtc2VjcmV0";
        Options options = Options.defaults().withPort(0).withDataDir(dataDir).withWebhookSecret(secret);

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> PublishingApiServer.start(options));

        assertTrue(e.getMessage().contains("--webhook-secret") && e.getMessage().contains("at least 24"),
                e.getMessage());
        assertFalse(e.getMessage().contains("c2hvcnQ"), e.getMessage());
        assertFalse(Files.exists(dataDir), "no database may be created for a command line that cannot run");
    }

    @Test
    void unreachableDatabaseFailsWithoutShowingItsPassword() {
        String urlSecret = "S3cr3t-in-the-url";
        String optionSecret = "S3cr3t-given-apart";
        Options options = Options.defaults().withPort(0).withJdbc("jdbc:postgresql://127.0.0.1:1/x?user=postgres&password="
                + urlSecret + "&connectTimeout=2", "postgres", optionSecret);

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> PublishingApiServer.start(options));

        java.io.StringWriter printed = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(printed));
        for (String shown : new String[] {e.getMessage(), printed.toString(), options.toString()}) {
            assertFalse(shown.contains(urlSecret) || shown.contains(optionSecret), shown);
        }
        assertTrue(e.getMessage().contains("127.0.0.1:1/x?user=postgres&password=***"), e.getMessage());
    }

    @Test
    void sendsWebhooksToTheGivenUrlSignedWithTheGivenSecret() throws Exception {
        WebhookSecret secret = WebhookSecret.generate();
        CompletableFuture<VerifiedWebhook> received = new CompletableFuture<>();
        CompletableFuture<JsonNode> event = new CompletableFuture<>();
        HttpServer elsewhere = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // Another receiver, verifying with the secret it was given: the demo's own is not involved.
        elsewhere.createContext("/hooks", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            try {
                received.complete(WebhookVerifier.create(secret).verify(exchange.getRequestHeaders(), body));
                event.complete(new ObjectMapper().readTree(body));
                exchange.sendResponseHeaders(204, -1);
            } catch (RuntimeException e) {
                received.completeExceptionally(e);
                exchange.sendResponseHeaders(401, -1);
            } finally {
                exchange.close();
            }
        });
        elsewhere.start();
        URI hooks = URI.create("http://127.0.0.1:" + elsewhere.getAddress().getPort() + "/hooks");
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp)
                .withWebhookUrl(hooks).withWebhookSecret(secret.encoded()))) {
            assertEquals(hooks, server.webhookUrl());
            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    server.baseUri().resolve("/posts"))
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", "startup-webhook-key")
                    .header(PublishingApiServer.CLIENT_HEADER, "startup-test-client")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"account_id\": \"acct-1\", \"content\": \"hi\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());

            VerifiedWebhook webhook = received.get(10, TimeUnit.SECONDS);
            assertTrue(webhook.id().startsWith(PostEvents.ID_PREFIX), webhook.id());
            assertEquals(PostEvents.PUBLISHED, event.get().path("type").asText());
            assertEquals("hi", event.get().path("data").path("content").asText());
        } finally {
            elsewhere.stop(0);
        }
    }

    /** Each form starts the server, and the record of a request lives that long (counted from its outcome). */
    @Test
    void acceptsTheKeyTtlSyntaxOfTheProperty() throws Exception {
        Map<String, Duration> forms = Map.of("24h", Duration.ofHours(24), "30m", Duration.ofMinutes(30),
                "PT1H", Duration.ofHours(1));
        for (Map.Entry<String, Duration> form : forms.entrySet()) {
            try (PublishingApiServer server = PublishingApiServer.start(
                    Options.defaults().withPort(0).withDataDir(tmp).withKeyTtl(form.getKey()))) {
                String key = "ttl-" + form.getKey();
                HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        server.baseUri().resolve("/posts"))
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", key)
                        .header(PublishingApiServer.CLIENT_HEADER, "startup-test-client")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"account_id\": \"acct-1\", \"content\": \"hi\"}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(201, created.statusCode(), created.body());

                Duration lives = recordLifetime(server, key);
                assertTrue(lives.compareTo(form.getValue()) >= 0
                        && lives.compareTo(form.getValue().plusMinutes(1)) < 0, form.getKey() + ": " + lives);
            }
        }
    }

    /** From the claim of {@code key}'s record to its expiry: the time to live, plus the time the request took. */
    private static Duration recordLifetime(PublishingApiServer server, String key) throws SQLException {
        try (Connection connection = server.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(
                        "SELECT created_at, expires_at FROM idempotency_record WHERE idempotency_key = ?")) {
            query.setString(1, key);
            try (ResultSet row = query.executeQuery()) {
                assertTrue(row.next(), "no record of " + key);
                return Duration.between(row.getObject(1, OffsetDateTime.class), row.getObject(2, OffsetDateTime.class));
            }
        }
    }

    @Test
    void portZeroPicksAFreePortAndTheUriNamesIt() throws Exception {
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp))) {
            assertTrue(server.port() > 0);
            assertEquals(URI.create("http://127.0.0.1:" + server.port()), server.baseUri());
        }
    }

    @Test
    void listensOnTheLoopbackInterfaceOnlyByDefault() throws Exception {
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp))) {
            assertEquals(200, health(server));
            List<InetAddress> others = NetworkInterface.networkInterfaces().filter(PublishingApiServerStartupTest::isUp)
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(address -> !address.isLoopbackAddress() && !address.isLinkLocalAddress())
                    .collect(Collectors.toList());
            for (InetAddress address : others) {
                try (Socket socket = new Socket()) {
                    assertThrows(ConnectException.class, () -> socket.connect(
                            new InetSocketAddress(address, server.port()), 5_000), "reachable at " + address);
                }
            }
        }
    }

    @Test
    void hostChoosesTheAddressAndTheUriWritesIPv6InBrackets() throws Exception {
        try (PublishingApiServer server = PublishingApiServer.start(
                Options.defaults().withHost("::1").withPort(0).withDataDir(tmp))) {
            assertEquals(URI.create("http://[::1]:" + server.port()), server.baseUri());
            assertEquals(server.baseUri().resolve(PublishingApiServer.WEBHOOK_PATH), server.webhookUrl());
            assertEquals(200, health(server));
            try (Socket socket = new Socket()) {
                assertThrows(ConnectException.class, () -> socket.connect(
                        new InetSocketAddress("127.0.0.1", server.port()), 5_000), "not on the IPv4 loopback address");
            }
        }
    }

    @Test
    void aHostNameIsShownAsTheAddressItWasBoundTo() throws Exception {
        InetAddress resolved = InetAddress.getByName("localhost");
        try (PublishingApiServer server = PublishingApiServer.start(
                Options.defaults().withHost("localhost").withPort(0).withDataDir(tmp))) {
            assertEquals(PublishingApiServer.httpUri(resolved, server.port()), server.baseUri());
            assertFalse(server.baseUri().toString().contains("localhost"), server.baseUri().toString());
        }
    }

    @Test
    void theWildcardAddressIsShownAsItIsAndReachedOverLoopback() throws Exception {
        try (PublishingApiServer server = PublishingApiServer.start(
                Options.defaults().withHost("0.0.0.0").withPort(0).withDataDir(tmp))) {
            // Java binds the IPv4 wildcard as the IPv6 one on a dual-stack system; either is the truth.
            assertTrue(Set.of(URI.create("http://0.0.0.0:" + server.port()), URI.create("http://[::]:" + server.port()))
                    .contains(server.baseUri()), server.baseUri().toString());
            assertEquals(URI.create("http://127.0.0.1:" + server.port() + PublishingApiServer.WEBHOOK_PATH),
                    server.webhookUrl());
            assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.webhookUrl()
                    .resolve("/health")).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        }
    }

    @Test
    void aHostThatDoesNotResolveIsAUsageErrorBeforeAnythingIsOpened() {
        Path dataDir = tmp.resolve("never-created");
        Options options = Options.defaults().withHost("no-such-host.invalid").withPort(0).withDataDir(dataDir);

        Options.UsageException e = assertThrows(Options.UsageException.class, () -> PublishingApiServer.start(options));

        assertTrue(e.getMessage().contains("--host") && e.getMessage().contains("'no-such-host.invalid'"),
                e.getMessage());
        assertFalse(Files.exists(dataDir), "no database may be created for a command line that cannot run");
    }

    @Test
    void ipv6AddressesAreWrittenInTheirShortForm() throws Exception {
        assertEquals(URI.create("http://[::1]:80"), PublishingApiServer.httpUri(InetAddress.getByName("::1"), 80));
        assertEquals(URI.create("http://[::]:80"), PublishingApiServer.httpUri(InetAddress.getByName("::"), 80));
        assertEquals(URI.create("http://[2001:db8::1:0:0:1]:80"),
                PublishingApiServer.httpUri(InetAddress.getByName("2001:db8:0:0:1:0:0:1"), 80));
        assertEquals(URI.create("http://[fd00::2]:80"),
                PublishingApiServer.httpUri(InetAddress.getByName("fd00:0:0:0:0:0:0:2"), 80));
        assertEquals(URI.create("http://[2001:db8:1:2:3:4:5:6]:80"),
                PublishingApiServer.httpUri(InetAddress.getByName("2001:db8:1:2:3:4:5:6"), 80));
        assertEquals(URI.create("http://192.0.2.7:80"),
                PublishingApiServer.httpUri(InetAddress.getByName("192.0.2.7"), 80));
    }

    private static int health(PublishingApiServer server) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.baseUri().resolve("/health")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static boolean isUp(NetworkInterface network) {
        try {
            return network.isUp();
        } catch (SocketException e) {
            return false;
        }
    }

    /** The first stop closes the port and the database's pool; the second finds nothing to do and says nothing. */
    @Test
    void stopIsIdempotent() throws Exception {
        PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp));
        assertEquals(200, health(server));
        DataSource database = server.dataSource();

        server.stop();
        assertStopped(server, database);

        assertDoesNotThrow(server::stop);
        assertStopped(server, database);
    }

    private static void assertStopped(PublishingApiServer server, DataSource database) throws Exception {
        try (Socket socket = new Socket()) {
            assertThrows(ConnectException.class, () -> socket.connect(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 5_000),
                    "the port is closed");
        }
        assertThrows(SQLException.class, database::getConnection, "the pool is closed");
    }

    @Test
    void takenPortFailsAndReleasesTheDatabase() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            Options options = Options.defaults().withPort(taken.getLocalPort()).withDataDir(tmp);
            assertThrows(Exception.class, () -> PublishingApiServer.start(options));
        }
        // The failed start closed its pool, so the embedded database can be opened again at once.
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp))) {
            assertTrue(server.port() > 0);
        }
    }

    @Test
    void unreachableDatabaseFailsTheStart() {
        Options options = Options.defaults().withPort(0)
                .withJdbc("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2", "nobody", null);

        assertThrows(StoreUnavailableException.class, () -> PublishingApiServer.start(options));
    }

    @Test
    void healthAnswers503WhenTheDatabaseIsGone() throws Exception {
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp))) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest health = HttpRequest.newBuilder(server.baseUri().resolve("/health")).build();
            assertEquals(200, http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode());

            // Closing the pool behind the server's back is as gone as a database gets.
            server.dataSource().unwrap(HikariDataSource.class).close();
            HttpResponse<String> down = http.send(health, HttpResponse.BodyHandlers.ofString());

            assertEquals(503, down.statusCode());
            assertEquals("{\"status\":\"unavailable\"}", down.body());
        }
    }

    @Test
    void withoutPaymentsUrlPaymentsAre503AndNotStoredSoTheKeyPaysOnceAPaymentServiceIsConfigured()
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest pay = HttpRequest.newBuilder(URI.create("http://localhost/payments"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "startup-test-key")
                .header(PublishingApiServer.CLIENT_HEADER, "startup-test-client")
                .POST(HttpRequest.BodyPublishers.ofString("{\"account_id\": \"acct-1\", \"amount\": 10}"))
                .build();
        HttpResponse<String> unavailable;
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp))) {
            unavailable = http.send(HttpRequest.newBuilder(pay, (name, value) -> true)
                    .uri(server.baseUri().resolve("/payments")).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertEquals(503, unavailable.statusCode(), unavailable.body());
        assertEquals(Problems.MEDIA_TYPE, unavailable.headers().firstValue("Content-Type").orElse(null));
        assertTrue(unavailable.body().contains(Problems.NO_PAYMENT_PROVIDER_TYPE)
                && unavailable.body().contains("no payment provider configured"), unavailable.body());

        try (FakePaymentService payments = new FakePaymentService();
                PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp)
                        .withPaymentsUrl(payments.uri()))) {
            HttpResponse<String> paid = http.send(HttpRequest.newBuilder(pay, (name, value) -> true)
                    .uri(server.baseUri().resolve("/payments")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, paid.statusCode(), paid.body());
            assertFalse(paid.headers().firstValue("Idempotent-Replayed").isPresent(),
                    "a 503 is not stored: the same key runs once a payment service is configured");
            assertEquals(1, payments.charges());
        }
    }

    @Test
    void aRequestWhoseBodyNeverComesIsDroppedAfterTheIdleTimeout() throws Exception {
        Duration idle = Duration.ofSeconds(1);
        try (PublishingApiServer server = PublishingApiServer.start(Options.defaults().withPort(0).withDataDir(tmp),
                ServerLimits.DEFAULTS.withIdleTimeout(idle))) {
            long started = System.nanoTime();
            RawHttp.Response response = RawHttp.exchange(server.baseUri(), "POST /posts HTTP/1.1\r\nHost: test\r\n"
                    + "Content-Type: application/json\r\nIdempotency-Key: silent-body\r\n"
                    + PublishingApiServer.CLIENT_HEADER + ": startup-test-client\r\nContent-Length: 40\r\n\r\n{");
            Duration waited = Duration.ofNanos(System.nanoTime() - started);

            assertEquals(408, response.status(), response.toString());
            assertEquals(Problems.MEDIA_TYPE, response.header("Content-Type").orElse(null), response.toString());
            assertTrue(waited.compareTo(idle) >= 0 && waited.compareTo(RawHttp.TIMEOUT) < 0, waited.toString());
        }
    }

    @Test
    void embeddedDatabaseUrlIsAbsoluteAndRefusesSemicolons() throws Exception {
        String url = PublishingApiServer.h2Url(tmp.resolve("data"));

        assertEquals("jdbc:h2:file:" + tmp.resolve("data").toAbsolutePath().resolve("publishing")
                + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0", url);
        assertTrue(Files.isDirectory(tmp.resolve("data")));
        assertThrows(IllegalArgumentException.class, () -> PublishingApiServer.h2Url(tmp.resolve("a;MODE=MySQL")));
    }
}
