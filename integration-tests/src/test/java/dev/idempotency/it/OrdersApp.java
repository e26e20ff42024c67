package dev.idempotency.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A small order service behind the filter, on a real database: {@code POST /orders} inserts one row
 * through the store's transaction-joining DataSource and answers 201. Request headers make it misbehave
 * after its insert, so tests can watch what happens to the row:
 * {@code X-Test-Status}, {@code X-Test-Throw}, {@code X-Test-Body-Bytes}, {@code X-Test-Sleep-Ms},
 * {@code X-Test-Commit} (the handler tries to commit on its own), {@code X-Test-Swallow-Sql-Error} (runs
 * a failing statement and ignores the error), {@code X-Test-Deferred-Violation} (PostgreSQL: breaks a
 * deferred constraint, so the commit fails), {@code X-Test-Report-Pid} (PostgreSQL: records the backend
 * process id of the request's connection under the header's value), {@code X-Test-Gate} (after its insert, the
 * handler arrives at the {@link Gate} of that name and waits until the test opens it).
 */
final class OrdersApp implements AutoCloseable {

    static final String CLIENT_HEADER = "X-Client";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final JdbcIdempotencyStore store;
    private final DataSource pool;
    final AtomicInteger handlerRuns = new AtomicInteger();
    /** Backend process ids reported by handlers ({@code X-Test-Report-Pid}), by item. */
    final java.util.Map<String, Integer> backendPids = new java.util.concurrent.ConcurrentHashMap<>();
    /** Gates handlers wait at ({@code X-Test-Gate}), by name. */
    private final java.util.Map<String, Gate> gates = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Where handlers that carry {@code X-Test-Gate} wait after their insert, their transaction open, until the test
     * opens it; the test can wait for a number of them to arrive. Waits are bounded, so a failing test ends.
     */
    static final class Gate {
        private final java.util.concurrent.Semaphore arrived = new java.util.concurrent.Semaphore(0);
        private final java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);

        /** Waits until {@code handlers} handlers (in all) have arrived, for at most 30 seconds. */
        void awaitArrivals(int handlers) throws InterruptedException {
            if (!arrived.tryAcquire(handlers, 30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("only " + arrived.availablePermits() + " of " + handlers
                        + " handlers reached the gate");
            }
            arrived.release(handlers);
        }

        void open() {
            open.countDown();
        }

        private void pass() throws InterruptedException {
            arrived.release();
            if (!open.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never opened the gate");
            }
        }
    }

    /** The gate of that name, made on first use. */
    Gate gate(String name) {
        return gates.computeIfAbsent(name, n -> new Gate());
    }

    private OrdersApp(DataSource pool, IdempotencyConfig config) throws Exception {
        this.pool = pool;
        this.store = JdbcIdempotencyStore.create(pool);
        createTables();
        server = new Server(0);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(config)
                .scopeResolver(ScopeResolver.header(CLIENT_HEADER)).build();
        context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new OrdersServlet()), "/orders");
        server.setHandler(context);
        server.start();
    }

    static OrdersApp start(DataSource pool, IdempotencyConfig config) throws Exception {
        return new OrdersApp(pool, config);
    }

    URI uri(String path) {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        return URI.create("http://localhost:" + port + path);
    }

    JdbcIdempotencyStore store() {
        return store;
    }

    /** Committed orders for {@code item}, read outside any request. */
    int orders(String item) throws SQLException {
        return count("SELECT count(*) FROM orders WHERE item = ?", item);
    }

    /** Committed idempotency records for {@code key}, read outside any request. */
    int records(String key) throws SQLException {
        return count("SELECT count(*) FROM idempotency_record WHERE idempotency_key = ?", key);
    }

    private int count(String sql, String value) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** An identity column's clause: MariaDB and MySQL have only AUTO_INCREMENT. */
    static String identity(DatabaseEngine engine) {
        return engine == DatabaseEngine.MARIADB || engine == DatabaseEngine.MYSQL ? "AUTO_INCREMENT"
                : "GENERATED BY DEFAULT AS IDENTITY";
    }

    private void createTables() throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS orders (id BIGINT " + identity(store.engine()) + " PRIMARY KEY, "
                    + "item VARCHAR(200) NOT NULL)");
            if (store.engine() == DatabaseEngine.POSTGRESQL) {
                st.execute("CREATE TABLE IF NOT EXISTS deferred_check (id INT, "
                        + "CONSTRAINT deferred_check_unique UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
            }
        }
    }

    @Override
    public void close() throws Exception {
        server.stop();
        store.close();
    }

    private final class OrdersServlet extends HttpServlet {

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            handlerRuns.incrementAndGet();
            JsonNode body = JSON.readTree(request.getInputStream());
            String item = body.path("item").asText();
            long id;
            try (Connection c = store.transactionalDataSource().getConnection()) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders (item) VALUES (?)",
                        new String[] {"id"})) {
                    ps.setString(1, item);
                    ps.executeUpdate();
                    try (ResultSet keys = ps.getGeneratedKeys()) {
                        keys.next();
                        id = keys.getLong(1);
                    }
                }
                misbehave(request, c);
            } catch (SQLException e) {
                throw new IOException(e);
            }
            sleep(request.getHeader("X-Test-Sleep-Ms"));
            String gate = request.getHeader("X-Test-Gate");
            if (gate != null) {
                try {
                    gate(gate).pass();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            if (request.getHeader("X-Test-Throw") != null) {
                throw new IllegalStateException("the handler failed after its insert");
            }
            String status = request.getHeader("X-Test-Status");
            response.setStatus(status != null ? Integer.parseInt(status) : 201);
            response.setContentType("application/json");
            response.setHeader("Location", "/orders/" + id);
            String bytes = request.getHeader("X-Test-Body-Bytes");
            if (bytes != null) {
                response.getOutputStream().write(new byte[Integer.parseInt(bytes)]);
                return;
            }
            response.getWriter().write("{\"id\":" + id + ",\"item\":" + JSON.writeValueAsString(item) + "}");
        }

        private void misbehave(HttpServletRequest request, Connection c) throws SQLException {
            if (request.getHeader("X-Test-Report-Pid") != null) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    backendPids.put(request.getHeader("X-Test-Report-Pid"), rs.getInt(1));
                }
            }
            if (request.getHeader("X-Test-Commit") != null) {
                c.commit();
            }
            if (request.getHeader("X-Test-Swallow-Sql-Error") != null) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT * FROM no_such_table");
                } catch (SQLException ignored) {
                    // The bug under test: a handler that carries on after a failed statement.
                }
            }
            if (request.getHeader("X-Test-Deferred-Violation") != null) {
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO deferred_check (id) VALUES (1), (1)");
                }
            }
        }

        private void sleep(String millis) {
            if (millis != null) {
                try {
                    Thread.sleep(Long.parseLong(millis));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
