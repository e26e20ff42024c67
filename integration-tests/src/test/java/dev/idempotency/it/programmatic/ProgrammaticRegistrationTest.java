package dev.idempotency.it.programmatic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idempotency.it.webxml.WebXmlOrdersServlet;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The filter added by a listener through {@code ServletContext.addFilter}, on PostgreSQL. */
class ProgrammaticRegistrationTest {

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    private Server server;

    @BeforeEach
    void start() throws Exception {
        server = new Server(0);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addEventListener(new IdempotencyInitializer(db.dataSource()));
        context.addServlet(WebXmlOrdersServlet.class, "/orders")
                .setInitParameter(WebXmlOrdersServlet.DATA_SOURCE_ATTRIBUTE_PARAMETER, "orders.dataSource");
        server.setHandler(context);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void filterAddedThroughTheServletContextReplaysAndWritesOnce() throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders"))
                .header("Idempotency-Key", "programmatic-1").header("X-Api-Key", "client-1")
                .POST(HttpRequest.BodyPublishers.ofString("coffee")).build();
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> first = client.send(request, HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> retry = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, first.statusCode(), first.body());
        assertEquals(first.body(), retry.body());
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null));
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM web_orders WHERE item = 'coffee'")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }
}
