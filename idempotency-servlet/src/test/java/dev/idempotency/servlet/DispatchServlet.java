package dev.idempotency.servlet;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Hands the request on with a RequestDispatcher: {@code /dispatch/forward} forwards to {@code /orders};
 * {@code /dispatch/include} answers {@code before|<what /orders writes>|after} in text/plain.
 */
final class DispatchServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException, ServletException {
        if ("/forward".equals(request.getPathInfo())) {
            request.getRequestDispatcher("/orders").forward(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setContentType("text/plain");
        response.getOutputStream().write("before|".getBytes(StandardCharsets.UTF_8));
        request.getRequestDispatcher("/orders").include(request, response);
        response.getOutputStream().write("|after".getBytes(StandardCharsets.UTF_8));
    }
}
