package dev.idempotency.micrometer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.PostgresDatabaseExtension;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The metrics through a real servlet container and a PostgreSQL store: each kind of request moves the
 * {@code idempotency.requests} counter of its outcome by exactly one and no other, an outbox round trip moves
 * the outbox meters, and the refusal and failure log lines carry no key, body or scope.
 */
class MetricsOverHttpTest {

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String API_KEY = "client-secret-api-key-7f3a";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final IdempotencyMetrics metrics = IdempotencyMetrics.create(registry);
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private HikariDataSource pool;
    private JdbcIdempotencyStore store;
    private JdbcOutbox outbox;
    private Server server;

    @BeforeEach
    void start() throws Exception {
        try (Connection connection = db.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS orders (id VARCHAR(64) PRIMARY KEY, body TEXT NOT NULL)");
        }
        pool = db.newDataSource(10);
        store = JdbcIdempotencyStore.builder().dataSource(pool).purgeInterval(Duration.ZERO)
                .listener(metrics).build();
        outbox = JdbcOutbox.builder().dataSource(pool).listener(metrics).build();
        metrics.bindOutbox(outbox, Duration.ofMillis(1)).bindPurgeBacklog(store, Duration.ofMillis(1));
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(IdempotencyConfig.ofDefaults())
                .scopeResolver(ScopeResolver.header("X-Api-Key")).listener(metrics).build();

        server = new Server(0);
        ServletContextHandler context = new ServletContextHandler();
        context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new OrdersServlet()), "/orders");
        server.setHandler(context);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        server.stop();
        store.close();
    }

    /** Creates an order and enqueues its event in the request's transaction; holds or fails when asked to. */
    private final class OrdersServlet extends HttpServlet {
        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String body = new String(request.getInputStream().readAllBytes(), UTF_8);
            if (request.getHeader("X-Hold") != null) {
                holding.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (body.contains("fail")) {
                response.sendError(503);
                return;
            }
            String id = UUID.randomUUID().toString();
            try (Connection connection = store.transactionalDataSource().getConnection();
                    PreparedStatement insert = connection.prepareStatement("INSERT INTO orders VALUES (?, ?)")) {
                insert.setString(1, id);
                insert.setString(2, body);
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IOException(e);
            }
            outbox.enqueue(OutboxMessage.of("orders", null, ("{\"order\":\"" + id + "\"}").getBytes(UTF_8), List.of()));
            response.setStatus(201);
            response.setContentType("application/json");
            response.getWriter().write("{\"id\":\"" + id + "\"}");
        }
    }

    private HttpResponse<String> post(String key, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:"
                + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/orders"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("X-Api-Key", API_KEY).POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Idempotency-Key", "\"" + key + "\"");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every {@code idempotency.requests} series with a non-zero count, as "outcome/mode". */
    private Map<String, Double> requestCounts() {
        Map<String, Double> counts = new LinkedHashMap<>();
        registry.get(IdempotencyMetrics.REQUESTS).counters().stream().filter(c -> c.count() > 0).forEach(c ->
                counts.put(c.getId().getTag("outcome") + "/" + c.getId().getTag("mode"), c.count()));
        return counts;
    }

    /** Asserts that the request counters moved from {@code before} by exactly one, in {@code outcome}. */
    private Map<String, Double> assertMovedByOne(Map<String, Double> before, String outcome) {
        Map<String, Double> expected = new LinkedHashMap<>(before);
        expected.merge(outcome + "/transaction", 1.0, Double::sum);
        Map<String, Double> after = requestCounts();
        assertEquals(expected, after, "after a request answered " + outcome);
        return after;
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void eachAnswerMovesItsOwnCounterByExactlyOne() throws Exception {
        Map<String, Double> counts = requestCounts();
        assertEquals(Map.of(), counts);

        assertEquals(201, post("k-1", "{\"amount\":10}").statusCode());
        counts = assertMovedByOne(counts, "executed");
        assertEquals(1, registry.get(IdempotencyMetrics.CLAIM).tag("mode", "transaction").timer().count());
        assertEquals(1, registry.get(IdempotencyMetrics.COMPLETE).tag("mode", "transaction").timer().count());

        HttpResponse<String> replay = post("k-1", "{\"amount\":10}");
        assertEquals(201, replay.statusCode());
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null));
        counts = assertMovedByOne(counts, "replayed");
        assertEquals(1, registry.get(IdempotencyMetrics.COMPLETE).tag("mode", "transaction").timer().count(),
                "a replay stores nothing");

        assertEquals(422, post("k-1", "{\"amount\":99}").statusCode());
        counts = assertMovedByOne(counts, "mismatch");

        assertEquals(400, post(null, "{\"amount\":10}").statusCode());
        counts = assertMovedByOne(counts, "missing_key");

        assertEquals(400, post("", "{\"amount\":10}").statusCode());
        counts = assertMovedByOne(counts, "invalid_key");

        assertEquals(400, post("k-2", "{\"amount\":").statusCode());
        counts = assertMovedByOne(counts, "malformed_body");

        assertEquals(503, post("k-3", "{\"fail\":true}").statusCode());
        counts = assertMovedByOne(counts, "failed");

        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> {
            try {
                return post("k-4", "{\"amount\":4}", "X-Hold", "yes");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(holding.await(10, TimeUnit.SECONDS), "the first request never reached the handler");
        assertEquals(409, post("k-4", "{\"amount\":4}").statusCode());
        counts = assertMovedByOne(counts, "conflict");
        release.countDown();
        assertEquals(201, held.get(30, TimeUnit.SECONDS).statusCode());
        assertMovedByOne(counts, "executed");
    }

    @Test
    void anOutboxRoundTripMovesTheBacklogGaugesAndThePublishedCounter() throws Exception {
        assertEquals(0.0, gauge(IdempotencyMetrics.OUTBOX_PENDING));
        Instant before = Instant.now();
        assertEquals(201, post("o-1", "{\"amount\":1}").statusCode());

        await(() -> gauge(IdempotencyMetrics.OUTBOX_PENDING) == 1.0, "the pending gauge reads 1");
        await(() -> gauge(IdempotencyMetrics.OUTBOX_OLDEST_AGE) > 0.0, "the oldest age grows");
        assertTrue(gauge(IdempotencyMetrics.OUTBOX_OLDEST_AGE) <= Duration.between(before, Instant.now()).toMillis()
                / 1000.0 + 1.0, "the lag is the age of the message");

        List<OutboxMessage> delivered = new ArrayList<>();
        try (OutboxRelay relay = outbox.relay((message, attempt) -> {
            delivered.add(message);
            return PublishResult.delivered();
        })) {
            assertEquals(1, relay.runOnce());
        }
        assertEquals(1, delivered.size());
        assertEquals(1.0, registry.get(IdempotencyMetrics.OUTBOX_PUBLISHED).counter().count());
        assertEquals(0.0, registry.get(IdempotencyMetrics.OUTBOX_FAILURES).tag("result", "retry").counter().count());
        await(() -> gauge(IdempotencyMetrics.OUTBOX_PENDING) == 0.0, "the pending gauge reads 0");
        assertEquals(0.0, gauge(IdempotencyMetrics.OUTBOX_OLDEST_AGE));
        assertEquals(0.0, gauge(IdempotencyMetrics.OUTBOX_DEAD));
        assertEquals(0.0, gauge(IdempotencyMetrics.PURGE_BACKLOG), "nothing has expired");
    }

    @Test
    void refusalAndFailureLogLinesCarryOutcomeModeAndScopeHashButNoKeyBodyOrScope() throws Exception {
        Logger engine = Logger.getLogger("dev.idempotency.Idempotency");
        Level previous = engine.getLevel();
        engine.setLevel(Level.FINE);
        try (CapturedLog log = CapturedLog.of("dev.idempotency")) {
            post("secret-key-0001", "{\"card\":\"4111111111111111\"}");
            post("secret-key-0001", "{\"card\":\"4111111111111112\"}");
            post(null, "{\"card\":\"4111111111111113\"}");

            List<CapturedLog.Entry> debug = log.entries(System.Logger.Level.DEBUG);
            assertEquals(2, debug.size(), log.toString());
            assertTrue(debug.get(0).message().contains("outcome=mismatch mode=transaction scope="), log.toString());
            assertTrue(debug.get(1).message().contains("outcome=missing_key mode=transaction scope=unknown"),
                    log.toString());
            for (CapturedLog.Entry entry : log.entries()) {
                String text = entry.toString();
                assertFalse(text.contains("secret-key-0001"), "the key leaked: " + text);
                assertFalse(text.contains("4111"), "the body leaked: " + text);
                assertFalse(text.contains(API_KEY), "the scope leaked: " + text);
            }
        } finally {
            engine.setLevel(previous);
        }
    }

    @Test
    void aStoreFailureIsCountedAndLoggedAtWarningWithoutKeyBodyOrScope() throws Exception {
        Map<String, Double> counts = requestCounts();
        try (CapturedLog log = CapturedLog.of("dev.idempotency")) {
            // The store's pool is gone: a failure a retry of the same process cannot fix, answered 500.
            pool.close();

            assertEquals(500, post("secret-key-0002", "{\"card\":\"4111111111111114\"}").statusCode());

            assertMovedByOne(counts, "store_unavailable");
            List<CapturedLog.Entry> warnings = log.entries(System.Logger.Level.WARNING);
            assertEquals(1, warnings.size(), log.toString());
            assertEquals(System.Logger.Level.ERROR, warnings.get(0).level(), log.toString());
            assertTrue(warnings.get(0).message().contains("mode=transaction scope="), log.toString());
            for (CapturedLog.Entry entry : log.entries()) {
                String text = entry.toString() + (entry.thrown() == null ? "" : stackOf(entry.thrown()));
                assertFalse(text.contains("secret-key-0002"), "the key leaked: " + text);
                assertFalse(text.contains("4111"), "the body leaked: " + text);
                assertFalse(text.contains(API_KEY), "the scope leaked: " + text);
            }
        }
    }

    private static String stackOf(Throwable thrown) {
        java.io.StringWriter text = new java.io.StringWriter();
        thrown.printStackTrace(new java.io.PrintWriter(text));
        return text.toString();
    }
}
