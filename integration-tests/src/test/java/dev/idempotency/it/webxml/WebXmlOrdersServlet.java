package dev.idempotency.it.webxml;

import dev.idempotency.servlet.IdempotencyStoreListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Inserts the request body as an order through the DataSource {@link IdempotencyStoreListener} provides, and
 * answers 201. Deployed by Jetty from the test class path, and compiled into the WAR deployed in Tomcat.
 */
public class WebXmlOrdersServlet extends HttpServlet {

    /**
     * The init parameter naming another context attribute to take the DataSource from: an application that
     * registers the filter itself chooses its own.
     */
    public static final String DATA_SOURCE_ATTRIBUTE_PARAMETER = "data-source-attribute";

    private static final long serialVersionUID = 1L;

    @Override
    public void init() {
        try (Connection c = dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS web_orders (item VARCHAR(200))");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String item = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try (Connection c = dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO web_orders (item) VALUES (?)")) {
            ps.setString(1, item);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IOException(e);
        }
        response.setStatus(201);
        response.setContentType("text/plain");
        response.getWriter().write("ordered " + item + " at " + System.nanoTime());
    }

    private DataSource dataSource() {
        String attribute = getInitParameter(DATA_SOURCE_ATTRIBUTE_PARAMETER);
        if (attribute != null) {
            return (DataSource) getServletContext().getAttribute(attribute);
        }
        // tag::data-source[]
        return (DataSource) getServletContext().getAttribute(IdempotencyStoreListener.DATA_SOURCE_ATTRIBUTE);
        // end::data-source[]
    }
}
