package dev.idempotency.examples;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.BadMessageException;

/**
 * Answers 408 when a request's client stops sending: the connection's idle timeout
 * ({@link ServerLimits#idleTimeout()}) expired while the body was being read, by the idempotency filter
 * fingerprinting it or by a handler. Jetty already answers 408 for a body that arrives below the minimum
 * data rate; the idle timeout, though, reaches it as an {@link IOException}, which it would answer 500 and
 * log as a fault of the server, when it is the client's silence.
 *
 * <p>The failure is passed on as Jetty's own 408 ({@link BadMessageException}, which Jetty logs quietly),
 * so that the error page ({@link ErrorServlet}) answers it as it answers the minimum rate's. A timeout
 * after the response was committed (a client too slow to read its answer) cannot be answered any more and
 * is passed on as it came.
 */
final class RequestTimeoutFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        try {
            chain.doFilter(request, response);
        } catch (IOException | ServletException e) {
            if (response.isCommitted() || !idleTimeoutWhileReading(e)) {
                throw e;
            }
            throw new BadMessageException(HttpServletResponse.SC_REQUEST_TIMEOUT,
                    "The client sent nothing for the idle timeout while its request was read", e);
        }
    }

    /** Jetty reports an expired idle timeout as an {@link IOException} caused by a {@link TimeoutException}. */
    private static boolean idleTimeoutWhileReading(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof IOException && t.getCause() instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }
}
