package dev.idempotency.it.faults;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyContext;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The application the fault tests attack, over real HTTP on Jetty, behind the {@link IdempotencyFilter}
 * with a {@link JdbcIdempotencyStore}. The scope is the {@value #CLIENT_HEADER} header.
 * <ul>
 * <li>{@code POST /orders} {@code {"item": "..."}}, transaction mode: inserts one row into
 * {@code fault_orders} through the store's transaction-joining DataSource, so the row commits with the
 * stored outcome or not at all; 201 {@code {"id": N, "item": "..."}}.</li>
 * <li>{@code POST /payments} {@code {"item": "..."}}, lease mode (the config must name {@code /payments} as
 * a lease path): charges the {@link FakeDownstream} with {@code IdempotencyContext.derivedKey("charge")} as
 * its {@code Idempotency-Key}; 201 {@code {"charge": "ch_N", "item": "..."}}.</li>
 * <li>{@code GET /orders?item=...}: the number of rows for the item, read from the database (an uncovered
 * request that needs it); {@code GET /ping}: 200 without touching the database.</li>
 * </ul>
 * Both POSTs misbehave on request, after their effect: {@code X-Test-Hold: 1} (waits until the test
 * {@linkplain #release() releases} the held handlers), {@code X-Test-Sleep-Ms: N},
 * {@code X-Test-Throw: 1} (throws), {@code X-Test-Status: N} (answers N), {@code X-Test-Body-Bytes: N}
 * (answers N bytes), and on PostgreSQL {@code X-Test-Fail-Commit: 1} on {@code /orders} (breaks a deferred
 * constraint, so the commit fails).
 */
final class FaultApp implements AutoCloseable {

    static final String CLIENT_HEADER = "X-Client";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong DEFERRED_IDS = new AtomicLong();

    private final Server server;
    private final JdbcIdempotencyStore store;
    private final URI downstream;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Handler runs, started. */
    final AtomicInteger handlerRuns = new AtomicInteger();
    /** Handlers running now. */
    final AtomicInteger handlersRunning = new AtomicInteger();
    /** Items whose handler got past its effect (the insert, the charge), at least once. */
    final Set<String> pastTheirEffect = ConcurrentHashMap.newKeySet();
    /** Where {@code X-Test-Hold} handlers wait; {@link #release()} lets them go. */
    private volatile java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);

    private FaultApp(JdbcIdempotencyStore store, IdempotencyConfig config, URI downstream) throws Exception {
        this.store = store;
        this.downstream = downstream;
        createTables();
        server = new Server(new QueuedThreadPool(400, 8));
        ServerConnector connector = new ServerConnector(server);
        connector.setAcceptQueueSize(512);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(config)
                .scopeResolver(ScopeResolver.header(CLIENT_HEADER)).build();
        context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new OrdersServlet()), "/orders");
        context.addServlet(new ServletHolder(new PaymentsServlet()), "/payments");
        context.addServlet(new ServletHolder(new PingServlet()), "/ping");
        server.setHandler(context);
        server.start();
    }

    /**
     * Starts the app on {@code store}, which it closes when it stops.
     *
     * @param downstream where {@code POST /payments} charges, or {@code null} for an app without it
     */
    static FaultApp start(JdbcIdempotencyStore store, IdempotencyConfig config, URI downstream) throws Exception {
        try {
            return new FaultApp(store, config, downstream);
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
    }

    /** Lets every handler held by {@code X-Test-Hold}, now or later, carry on. */
    void release() {
        held.countDown();
    }

    /**
     * Holds {@code X-Test-Hold} handlers again after a {@link #release()}, for a test that repeats a fault;
     * call it only while no held handler is waiting.
     */
    void holdAgain() {
        held = new java.util.concurrent.CountDownLatch(1);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + path);
    }

    private void createTables() throws SQLException {
        try (Connection c = store.transactionalDataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS fault_orders (id BIGINT " + (store.engine() == DatabaseEngine.MARIADB
                    || store.engine() == DatabaseEngine.MYSQL ? "AUTO_INCREMENT" : "GENERATED BY DEFAULT AS IDENTITY")
                    + " PRIMARY KEY, item VARCHAR(200) NOT NULL)");
            if (store.engine() == DatabaseEngine.POSTGRESQL) {
                st.execute("CREATE TABLE IF NOT EXISTS fault_deferred (id BIGINT, CONSTRAINT fault_deferred_unique "
                        + "UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            store.close();
        }
    }

    /** The failure a test asked for; quiet, so Jetty logs no stack trace for it. */
    static final class InjectedFailure extends RuntimeException implements QuietException {
        private static final long serialVersionUID = 1L;

        InjectedFailure() {
            super("X-Test-Throw: the handler fails after its effect");
        }
    }

    private abstract class MisbehavingServlet extends HttpServlet {

        private static final long serialVersionUID = 1L;

        /** Waits, sleeps, throws or answers as the request's X-Test-* headers ask, after the effect. */
        boolean misbehave(HttpServletRequest request, HttpServletResponse response) throws IOException {
            try {
                if (request.getHeader("X-Test-Hold") != null && !held.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IOException("X-Test-Hold: nobody released the handler within 60 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            String sleep = request.getHeader("X-Test-Sleep-Ms");
            if (sleep != null) {
                try {
                    Thread.sleep(Long.parseLong(sleep));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            if (request.getHeader("X-Test-Throw") != null) {
                throw new InjectedFailure();
            }
            String status = request.getHeader("X-Test-Status");
            if (status != null) {
                response.setStatus(Integer.parseInt(status));
                response.setContentType("text/plain");
                response.getWriter().write("answered " + status + " on request");
                return true;
            }
            String bytes = request.getHeader("X-Test-Body-Bytes");
            if (bytes != null) {
                response.setStatus(201);
                response.setContentType("application/octet-stream");
                response.getOutputStream().write(new byte[Integer.parseInt(bytes)]);
                return true;
            }
            return false;
        }
    }

    private final class OrdersServlet extends MisbehavingServlet {

        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response)
                throws IOException, ServletException {
            handlerRuns.incrementAndGet();
            handlersRunning.incrementAndGet();
            try {
                String item = JSON.readTree(request.getInputStream()).path("item").asText();
                long id;
                try (Connection c = store.transactionalDataSource().getConnection()) {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO fault_orders (item) VALUES (?)",
                            new String[] {"id"})) {
                        ps.setString(1, item);
                        ps.executeUpdate();
                        try (ResultSet keys = ps.getGeneratedKeys()) {
                            keys.next();
                            id = keys.getLong(1);
                        }
                    }
                    if (request.getHeader("X-Test-Fail-Commit") != null) {
                        try (PreparedStatement ps = c.prepareStatement(
                                "INSERT INTO fault_deferred (id) VALUES (?), (?)")) {
                            long clash = DEFERRED_IDS.incrementAndGet();
                            ps.setLong(1, clash);
                            ps.setLong(2, clash);
                            ps.executeUpdate();
                        }
                    }
                } catch (SQLException e) {
                    throw new ServletException("insert failed", e);
                }
                pastTheirEffect.add(item);
                if (misbehave(request, response)) {
                    return;
                }
                response.setStatus(201);
                response.setContentType("application/json");
                response.getWriter().write(JSON.createObjectNode().put("id", id).put("item", item).toString());
            } finally {
                handlersRunning.decrementAndGet();
            }
        }

        /** The committed rows of {@code ?item=}, read through the pool: an uncovered request that needs the database. */
        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response)
                throws IOException, ServletException {
            try (Connection c = store.transactionalDataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM fault_orders WHERE item = ?")) {
                ps.setString(1, request.getParameter("item"));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    response.setContentType("application/json");
                    response.getWriter().write("{\"count\":" + rs.getInt(1) + "}");
                }
            } catch (SQLException e) {
                throw new ServletException("the database could not be read", e);
            }
        }
    }

    private final class PaymentsServlet extends MisbehavingServlet {

        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response)
                throws IOException, ServletException {
            handlerRuns.incrementAndGet();
            handlersRunning.incrementAndGet();
            try {
                String item = JSON.readTree(request.getInputStream()).path("item").asText();
                IdempotencyContext context = (IdempotencyContext) request.getAttribute(
                        IdempotencyFilter.CONTEXT_ATTRIBUTE);
                HttpResponse<String> charged;
                try {
                    charged = http.send(HttpRequest.newBuilder(downstream).timeout(Duration.ofSeconds(10))
                            .header("Idempotency-Key", context.derivedKey("charge"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("item", item)
                                    .toString())).build(), HttpResponse.BodyHandlers.ofString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ServletException("interrupted while charging", e);
                }
                if (charged.statusCode() != 200 && charged.statusCode() != 201) {
                    response.sendError(502, "the downstream service answered " + charged.statusCode());
                    return;
                }
                String charge = JSON.readTree(charged.body()).path("id").asText();
                pastTheirEffect.add(item);
                if (misbehave(request, response)) {
                    return;
                }
                response.setStatus(201);
                response.setContentType("application/json");
                response.getWriter().write(JSON.createObjectNode().put("charge", charge).put("item", item).toString());
            } finally {
                handlersRunning.decrementAndGet();
            }
        }
    }

    private static final class PingServlet extends HttpServlet {

        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            response.setContentType("text/plain");
            response.getWriter().write("pong");
        }
    }

    /** Parses a JSON answer. */
    static JsonNode json(String body) throws IOException {
        return JSON.readTree(body);
    }
}
