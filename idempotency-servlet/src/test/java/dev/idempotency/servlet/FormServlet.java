package dev.idempotency.servlet;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads form parameters with getParameter()/getParameterMap() and answers
 * {@code {"invocation":n,"name":...,"qty":...,"count":<number of parameters>}}.
 */
final class FormServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient AtomicInteger invocations = new AtomicInteger();

    int invocations() {
        return invocations.get();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int n = invocations.incrementAndGet();
        Map<String, String[]> parameters = new TreeMap<>(request.getParameterMap());
        String name = request.getParameter("name");
        String qty = request.getParameter("qty");
        String[] tags = request.getParameterValues("tag");
        String json = "{\"invocation\":" + n
                + ",\"name\":" + (name == null ? "null" : OrdersServlet.jsonString(name))
                + ",\"qty\":" + (qty == null ? "null" : OrdersServlet.jsonString(qty))
                + ",\"tags\":" + OrdersServlet.jsonString(tags == null ? "" : String.join("|", tags))
                + ",\"names\":" + OrdersServlet.jsonString(String.join(",", parameters.keySet()))
                + "}";
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setContentType("application/json");
        response.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
    }
}
