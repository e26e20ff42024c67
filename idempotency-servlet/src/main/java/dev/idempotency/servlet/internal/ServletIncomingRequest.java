package dev.idempotency.servlet.internal;

import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.servlet.CapturedExchange;
import dev.idempotency.servlet.ScopeResolver;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** A servlet request seen through {@link IncomingRequest}. */
public final class ServletIncomingRequest implements IncomingRequest {

    private final CapturedExchange exchange;
    private final HttpServletRequest request;
    private final ScopeResolver scopeResolver;

    /** The request of {@code exchange}, whose scope {@code scopeResolver} finds. */
    public ServletIncomingRequest(CapturedExchange exchange, ScopeResolver scopeResolver) {
        this.exchange = exchange;
        this.request = exchange.request();
        this.scopeResolver = scopeResolver;
    }

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String path() {
        return request.getRequestURI();
    }

    /**
     * The context path and the path the container dispatched on (servlet path and path info), which the
     * container has decoded, normalised and stripped of path parameters; the raw URI could spell the same
     * path so that a rule on it would not match.
     */
    @Override
    public String routedPath() {
        String contextPath = request.getServletContext().getContextPath();
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        String path = (contextPath == null ? "" : contextPath) + (servletPath == null ? "" : servletPath)
                + (pathInfo == null ? "" : pathInfo);
        return path.isEmpty() ? "/" : path;
    }

    @Override
    public String rawQuery() {
        return request.getQueryString();
    }

    @Override
    public String contentType() {
        return request.getContentType();
    }

    @Override
    public String contentEncoding() {
        List<String> values = Collections.list(request.getHeaders("Content-Encoding"));
        return values.isEmpty() ? null : String.join(",", values);
    }

    @Override
    public List<String> idempotencyKeyHeaders() {
        return Collections.list(request.getHeaders(IdempotencyHeaders.KEY));
    }

    @Override
    public Optional<String> scope() {
        return scopeResolver.resolve(request);
    }

    @Override
    public String scopeSource() {
        return scopeResolver.description();
    }

    /**
     * For a form whose body was already consumed (a filter before this one called {@code getParameter},
     * or parsed a PUT or PATCH form, as Spring's {@code FormContentFilter} does), the stream is empty while
     * the parameters hold the body. Fingerprinting the empty stream would make every such request look the
     * same, so the parameters are fingerprinted instead, in a canonical form.
     */
    @Override
    public byte[] fingerprintBody(byte[] body) {
        if (body.length > 0 || !isForm(request.getContentType())) {
            return body;
        }
        Map<String, String[]> parameters = request.getParameterMap();
        StringBuilder canonical = new StringBuilder("parsed application/x-www-form-urlencoded parameters\n");
        for (String name : new TreeSet<>(parameters.keySet())) {
            for (String value : parameters.get(name)) {
                canonical.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(value, StandardCharsets.UTF_8)).append('&');
            }
        }
        return canonical.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isForm(String contentType) {
        return contentType != null
                && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    /** Read by the exchange, the one place a filter of this library reads a request body. */
    @Override
    public byte[] readBody(int maxBytes) throws IOException {
        return exchange.readBody(maxBytes);
    }
}
