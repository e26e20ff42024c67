package dev.idempotency.servlet;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves the request's scope with the resolver named by the path ({@code /scope/<name>}) and answers
 * {@code {"resolved":true,"scope":"...","description":"..."}}.
 */
final class ScopeEchoServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient Map<String, ScopeResolver> resolvers;

    ScopeEchoServlet(Map<String, ScopeResolver> resolvers) {
        this.resolvers = Map.copyOf(resolvers);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        ScopeResolver resolver = resolvers.get(request.getPathInfo().substring(1));
        if (resolver == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        Optional<String> scope = resolver.resolve(request);
        String json = "{\"resolved\":" + scope.isPresent()
                + ",\"scope\":" + OrdersServlet.jsonString(scope.orElse(""))
                + ",\"description\":" + OrdersServlet.jsonString(resolver.description()) + "}";
        response.setContentType("application/json");
        response.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
    }
}
