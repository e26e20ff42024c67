package dev.idempotency.it.webxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.IdempotencyStoreListener;
import dev.idempotency.testing.H2DatabaseExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web.xml the README shows, deployed as it is: the filter configured by init parameters, its store
 * opened by {@link IdempotencyStoreListener} from context parameters, which an override descriptor points at
 * the test's database (the way an operator changes them without touching the WAR).
 */
class WebXmlRegistrationTest {

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    @TempDir
    Path tmp;

    private Server server;
    private WebAppContext webapp;

    @BeforeEach
    void deploy() throws Exception {
        Path overrides = tmp.resolve("override-web.xml");
        Files.writeString(overrides, """
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
                  <context-param><param-name>idempotency.jdbc.url</param-name><param-value>%s</param-value></context-param>
                  <context-param><param-name>idempotency.jdbc.user</param-name><param-value>%s</param-value></context-param>
                  <context-param><param-name>idempotency.jdbc.password</param-name><param-value>%s</param-value></context-param>
                </web-app>
                """.formatted(db.jdbcUrl(), db.user(), db.password()));
        server = new Server(0);
        webapp = new WebAppContext();
        webapp.setContextPath("/");
        webapp.setWar("src/test/webapp");
        webapp.setParentLoaderPriority(true);
        webapp.addOverrideDescriptor(overrides.toString());
        server.setHandler(webapp);
        server.start();
    }

    @AfterEach
    void undeploy() throws Exception {
        server.stop();
    }

    private HttpResponse<String> post(String key, String body) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
                .header("Idempotency-Key", key).header("X-Api-Key", "client-1").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void filterDeclaredInWebXmlReplaysAndWritesOnce() throws Exception {
        HttpResponse<String> first = post("web-xml-1", "tea");
        HttpResponse<String> retry = post("web-xml-1", "tea");
        assertEquals(201, first.statusCode(), first.body());
        assertEquals(first.body(), retry.body());
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null));
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM web_orders WHERE item = 'tea'")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }

    @Test
    void listenerGivesTheApplicationTheStoresDataSourceAndClosesTheStoreOnUndeploy() throws Exception {
        Object store = webapp.getServletContext().getAttribute(IdempotencyFilter.STORE_ATTRIBUTE);
        assertInstanceOf(JdbcIdempotencyStore.class, store);
        assertSame(((JdbcIdempotencyStore) store).transactionalDataSource(),
                webapp.getServletContext().getAttribute(IdempotencyStoreListener.DATA_SOURCE_ATTRIBUTE));

        webapp.stop();

        assertThrows(SQLException.class, () -> ((JdbcIdempotencyStore) store).transactionalDataSource().getConnection(),
                "the pool the store built is closed");
    }

    @Test
    void initParametersConfigureTheFilter() throws Exception {
        FilterHolder holder = webapp.getServletHandler().getFilter("idempotency");
        IdempotencyConfig config = ((IdempotencyFilter) holder.getFilter()).config();
        assertEquals(Duration.ofHours(12), config.keyTtl());
    }

    @Test
    void scopeFromInitParameterRefusesRequestsWithoutTheHeader() throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
                .header("Idempotency-Key", "web-xml-2").POST(HttpRequest.BodyPublishers.ofString("x")).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("X-Api-Key"), response.body());
    }
}
