package dev.idempotency.servlet;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.StoredResponse;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import dev.idempotency.servlet.internal.CachedBodyRequest;
import dev.idempotency.servlet.internal.CapturingResponse;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One request on the path where the client learns nothing until the filter has decided what it gets: the
 * body is read up to a limit, the handler runs with that body served from memory and its whole response held
 * in memory, and only then is the decided answer written to the client. {@link IdempotencyFilter} answers
 * every request it covers this way, and so does the webhook receiver of {@code idempotency-webhooks}; so can
 * an application's own filter that must commit something before the client hears of it.
 *
 * <pre>{@code
 * Optional<CapturedExchange> covered = CapturedExchange.ofRequestDispatch(req, res);
 * if (covered.isEmpty()) {
 *     chain.doFilter(req, res);                                        // not an HTTP REQUEST dispatch
 *     return;
 * }
 * CapturedExchange exchange = covered.get();
 * byte[] body = exchange.readBody(maxBodyBytes);                       // past the limit: RequestBodyTooLargeException
 * HandlerResponse handled = exchange.runHandler(chain, body, maxResponseBytes); // nothing sent yet
 * // ... commit what the handler did, then:
 * exchange.sendHandlerResponse(handled);                               // or sendReplay, or sendProblem
 * }</pre>
 *
 * <p>What the handler sees during {@link #runHandler}: the request's body is the one {@link #readBody} read,
 * from memory, through {@code getInputStream()}, {@code getReader()} and, for a form, the parameters parsed
 * from it. Its response keeps the status, headers, cookies and body in memory: flushing marks it committed
 * and sends nothing, {@code sendError} becomes the status with its message as {@code text/plain}, and a body
 * over the limit is dropped and reported as {@link HandlerResponse#truncated() truncated}. Asynchronous
 * processing, multipart parts, non-blocking output and trailers are refused with an
 * {@link IllegalStateException} that says why: each would need the answer to exist after the handler returns.
 *
 * <p>Threading and lifetime: an exchange belongs to one request and to the thread the container called the
 * filter on; it is not safe for use by several threads. Create it in {@code doFilter} and let it go when
 * {@code doFilter} returns: the request and response it wraps are valid only until then. Read the body once.
 * {@link #runHandler} may run more than once (a retried transaction runs the handler again): each run starts
 * from an empty capture, and {@link #sendHandlerResponse} sends the cookies of the latest run. Call at most one
 * of the {@code send} methods, once, after the last run.
 */
public final class CapturedExchange {

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private CapturingResponse capture;

    private CapturedExchange(HttpServletRequest request, HttpServletResponse response) {
        this.request = request;
        this.response = response;
    }

    /** An exchange for an HTTP request and its response, whatever the dispatch. */
    public static CapturedExchange of(HttpServletRequest request, HttpServletResponse response) {
        return new CapturedExchange(Objects.requireNonNull(request, "request"),
                Objects.requireNonNull(response, "response"));
    }

    /**
     * An exchange for an HTTP request that the container dispatched as a {@link DispatcherType#REQUEST}; empty
     * for a request that is not HTTP, and for a forward, include, error or asynchronous dispatch, which a filter
     * passes on unchanged: the first dispatch of the request has already been answered, or is being answered.
     */
    public static Optional<CapturedExchange> ofRequestDispatch(ServletRequest request, ServletResponse response) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(response, "response");
        if (request instanceof HttpServletRequest http && response instanceof HttpServletResponse httpResponse
                && http.getDispatcherType() == DispatcherType.REQUEST) {
            return Optional.of(new CapturedExchange(http, httpResponse));
        }
        return Optional.empty();
    }

    /** The request as the container gave it. */
    public HttpServletRequest request() {
        return request;
    }

    /** The response as the container gave it: what is written here reaches the client. */
    public HttpServletResponse response() {
        return response;
    }

    /**
     * Reads the request body, refusing a declared {@code Content-Length} over the limit before reading a byte,
     * and otherwise reading at most one byte past the limit, so a chunked body that lies about its size costs
     * no more than the limit. The request's input stream is spent afterwards.
     *
     * @param maxBytes the largest body accepted, in bytes
     * @return the whole body
     * @throws RequestBodyTooLargeException if the body is longer than {@code maxBytes}; its
     *     {@link RequestBodyTooLargeException#declaredLength() declared length} is -1 when the body had none
     * @throws IOException if reading the body failed
     * @throws IllegalArgumentException if {@code maxBytes} is negative
     */
    public byte[] readBody(int maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            throw new RequestBodyTooLargeException(maxBytes, declared);
        }
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes(maxBytes);
            if (body.length == maxBytes && in.read() != -1) {
                throw new RequestBodyTooLargeException(maxBytes, -1);
            }
            return body;
        }
    }

    /**
     * Runs the rest of the chain with {@code body} as the request's body and the response held in memory (see
     * the class description); nothing reaches the client. Attributes the handler should find are set on
     * {@link #request()} before the call.
     *
     * @param chain the rest of the filter chain, ending in the handler
     * @param body the request body to serve to the handler, usually what {@link #readBody} returned
     * @param maxResponseBytes the most body bytes kept; a longer body makes the result
     *     {@link HandlerResponse#truncated() truncated}
     * @return the handler's status, headers (the content type first) and body, which nothing has sent yet
     * @throws IOException if the handler threw one
     * @throws ServletException if the handler threw one
     * @throws IllegalArgumentException if {@code maxResponseBytes} is negative
     */
    public HandlerResponse runHandler(FilterChain chain, byte[] body, int maxResponseBytes)
            throws IOException, ServletException {
        Objects.requireNonNull(chain, "chain");
        Objects.requireNonNull(body, "body");
        if (maxResponseBytes < 0) {
            throw new IllegalArgumentException("maxResponseBytes must not be negative: " + maxResponseBytes);
        }
        capture = new CapturingResponse(response, maxResponseBytes);
        chain.doFilter(new CachedBodyRequest(request, body), capture);
        return capture.toHandlerResponse();
    }

    /**
     * Sends what the handler answered: its status, every header it set, the cookies it added in the latest
     * {@link #runHandler} run, and its body, with the body's length.
     *
     * @param handled what {@link #runHandler} returned
     * @throws IllegalArgumentException if the response is {@link HandlerResponse#truncated() truncated}: its body
     *     is lost, and a problem is the answer to send instead
     * @throws IllegalStateException if the handler has not run
     * @throws IOException if writing to the client failed
     */
    public void sendHandlerResponse(HandlerResponse handled) throws IOException {
        Objects.requireNonNull(handled, "handled");
        if (handled.truncated()) {
            throw new IllegalArgumentException("The handler's response outgrew the capture limit and lost its body; "
                    + "send a problem instead");
        }
        if (capture == null) {
            throw new IllegalStateException("The handler has not run on this exchange; call runHandler first");
        }
        response.setStatus(handled.status());
        writeHeaders(handled.headers());
        for (Cookie cookie : capture.cookies()) {
            response.addCookie(cookie);
        }
        writeBody(handled.body());
    }

    /**
     * Sends a stored outcome, marked {@code Idempotent-Replayed: true}.
     *
     * @throws IOException if writing to the client failed
     */
    public void sendReplay(StoredResponse stored) throws IOException {
        Objects.requireNonNull(stored, "stored");
        response.setStatus(stored.status());
        writeHeaders(stored.headers());
        response.setHeader(IdempotencyHeaders.REPLAYED, "true");
        writeBody(stored.body());
    }

    /**
     * Sends an RFC 9457 problem as {@value Problem#MEDIA_TYPE} with {@code Cache-Control: no-store}, its
     * {@code Retry-After} when it has one, and the request's path as its {@code instance}.
     *
     * @throws IOException if writing to the client failed
     */
    public void sendProblem(Problem problem) throws IOException {
        Objects.requireNonNull(problem, "problem");
        response.setStatus(problem.status());
        response.setContentType(Problem.MEDIA_TYPE);
        response.setHeader("Cache-Control", "no-store");
        problem.retryAfterHeader().ifPresent(seconds -> response.setHeader("Retry-After", seconds));
        writeBody(problem.toJson(request.getRequestURI()));
    }

    private void writeHeaders(List<Header> headers) {
        for (Header header : headers) {
            if (header.hasName("Content-Type")) {
                response.setContentType(header.value());
            } else {
                response.addHeader(header.name(), header.value());
            }
        }
    }

    private void writeBody(byte[] body) throws IOException {
        response.setContentLength(body.length);
        if (body.length > 0) {
            response.getOutputStream().write(body);
        }
    }
}
