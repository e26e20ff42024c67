package dev.idempotency.servlet.internal;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.adapter.Problem;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;

/** Sends a decided outcome on the real response. */
public final class OutcomeWriter {

    private OutcomeWriter() {
    }

    /** A response the handler produced, with every header and cookie it set. */
    public static void writeExecuted(HttpServletResponse response, int status, List<Header> headers,
            List<Cookie> cookies, byte[] body) throws IOException {
        response.setStatus(status);
        writeHeaders(response, headers);
        for (Cookie cookie : cookies) {
            response.addCookie(cookie);
        }
        writeBody(response, body);
    }

    /** A stored outcome, marked as a replay. */
    public static void writeReplayed(HttpServletResponse response, int status, List<Header> headers, byte[] body)
            throws IOException {
        response.setStatus(status);
        writeHeaders(response, headers);
        response.setHeader(IdempotencyHeaders.REPLAYED, "true");
        writeBody(response, body);
    }

    /** An RFC 9457 problem. */
    public static void writeProblem(HttpServletResponse response, Problem problem, String instance)
            throws IOException {
        response.setStatus(problem.status());
        response.setContentType(Problem.MEDIA_TYPE);
        response.setHeader("Cache-Control", "no-store");
        problem.retryAfterHeader().ifPresent(seconds -> response.setHeader("Retry-After", seconds));
        writeBody(response, problem.toJson(instance));
    }

    private static void writeHeaders(HttpServletResponse response, List<Header> headers) {
        for (Header header : headers) {
            if (header.hasName("Content-Type")) {
                response.setContentType(header.value());
            } else {
                response.addHeader(header.name(), header.value());
            }
        }
    }

    private static void writeBody(HttpServletResponse response, byte[] body) throws IOException {
        response.setContentLength(body.length);
        if (body.length > 0) {
            response.getOutputStream().write(body);
        }
    }
}
