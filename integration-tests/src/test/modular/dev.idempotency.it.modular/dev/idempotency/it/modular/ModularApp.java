package dev.idempotency.it.modular;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumSet;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Boots the filter and the JDBC store (on an H2 database, with the store's own pool, its driver found through
 * the service loader and its table migrated by Flyway from the module's resources) on Jetty, sends a request
 * and its retry, and prints what it saw, one fact per line, for ModulePathTest to check. Exits 0 when it ran
 * to the end.
 */
public final class ModularApp {

    public static void main(String[] args) throws Exception {
        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder()
                .jdbcUrl("jdbc:h2:mem:modular;DB_CLOSE_DELAY=-1").username("sa").password("").build()) {
            DataSource data = store.transactionalDataSource();
            try (Connection connection = data.getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(100))");
            }
            Server jetty = new Server(0);
            ServletContextHandler context = new ServletContextHandler();
            IdempotencyFilter filter = IdempotencyFilter.builder(store)
                    .config(IdempotencyConfig.custom().purgeInterval(java.time.Duration.ZERO).build())
                    .scopeResolver(ScopeResolver.header("X-Api-Key")).build();
            context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
            context.addServlet(new ServletHolder(new OrdersServlet(data)), "/orders");
            jetty.setHandler(context);
            jetty.start();
            try {
                URI uri = URI.create("http://127.0.0.1:" + ((ServerConnector) jetty.getConnectors()[0]).getLocalPort()
                        + "/orders");
                HttpClient http = HttpClient.newHttpClient();
                for (int attempt = 1; attempt <= 2; attempt++) {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                            .header(IdempotencyHeaders.KEY, "\"modular-1\"").header("X-Api-Key", "client")
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\"}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    System.out.println("attempt " + attempt + ": " + response.statusCode() + " replayed="
                            + response.headers().firstValue(IdempotencyHeaders.REPLAYED).orElse("false"));
                }
                System.out.println("rows: " + count(data));
            } finally {
                jetty.stop();
            }
        }
        System.out.println("internal package: " + internalPackageAccess());
        System.out.println("module: " + IdempotencyFilter.class.getModule().getName() + " "
                + JdbcIdempotencyStore.class.getModule().getName());
    }

    private static long count(DataSource data) throws SQLException {
        try (Connection connection = data.getConnection(); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT count(*) FROM orders")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** What reflection on the core's internal package gets from a named module that does not own it. */
    private static String internalPackageAccess() {
        try {
            Class.forName("dev.idempotency.internal.Fingerprints").getMethod("isKnownVersion", int.class)
                    .invoke(null, 1);
            return "open";
        } catch (IllegalAccessException e) {
            return "refused";
        } catch (ReflectiveOperationException e) {
            return "unexpected " + e;
        }
    }

    private static final class OrdersServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient DataSource data;

        OrdersServlet(DataSource data) {
            this.data = data;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            try (Connection connection = data.getConnection();
                    PreparedStatement insert = connection.prepareStatement("INSERT INTO orders (item) VALUES (?)")) {
                insert.setString(1, "book");
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IOException(e);
            }
            response.setStatus(201);
            response.setContentType("application/json");
            response.getWriter().write("{\"created\":true}");
        }
    }
}
