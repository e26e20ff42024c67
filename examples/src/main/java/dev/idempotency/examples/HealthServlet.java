package dev.idempotency.examples;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * {@code GET /health}: 200 {@code {"status":"ok"}} when the database answers {@code SELECT 1}, otherwise
 * 503 {@code {"status":"unavailable"}}. The database is checked because the API can do nothing useful
 * without it: every POST needs it to claim its key.
 */
final class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final byte[] OK = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] UNAVAILABLE = "{\"status\":\"unavailable\"}".getBytes(StandardCharsets.UTF_8);

    private final transient PostRepository posts;

    HealthServlet(PostRepository posts) {
        this.posts = Objects.requireNonNull(posts, "posts");
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean up = posts.isReachable();
        byte[] body = up ? OK : UNAVAILABLE;
        // A load balancer must see the current state, never a cached one.
        response.setHeader("Cache-Control", "no-store");
        Responses.json(response, up ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE, body);
    }
}
