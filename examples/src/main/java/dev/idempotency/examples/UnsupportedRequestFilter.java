package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Refuses, before anything else runs, the requests the demo's resources cannot take whatever else they
 * carry, so that neither the idempotency filter nor a handler ever sees them:
 * <ul>
 * <li>a method the path does not support: 405 with {@code Allow} naming the methods it does. That includes
 * {@code TRACE} everywhere: the servlet default would echo the request, its {@code X-Api-Key} and cookies
 * included, back in the body. {@code OPTIONS} is answered here, 204 with the same {@code Allow}.</li>
 * <li>a body in a content coding ({@code Content-Encoding} other than {@code identity}): 415 with
 * {@code Accept-Encoding: identity} (RFC 9110, section 15.5.16). The demo does not decode request bodies,
 * and read as they are, gzip bytes would be refused as malformed JSON, which is not the client's mistake.</li>
 * </ul>
 * It stands first, in front of the idempotency filter: a refused request uses no key, so the same key can be
 * sent again with a request the API takes. The refusals are not stored for the same reason.
 *
 * <p>The methods of each path are declared where the servlets are mapped ({@link PublishingApiServer}), in
 * this one place; {@code HEAD} comes with {@code GET} and {@code OPTIONS} with every path. A path that is not
 * declared passes through, to the 404 of the error page.
 */
final class UnsupportedRequestFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    /** What a request in a content coding is told: that the demo takes its bodies as they are. */
    static final String IDENTITY_ONLY = "identity";

    private final transient Map<String, String> exact;
    private final transient Map<String, String> prefixes;
    private final transient ObjectMapper json;

    private UnsupportedRequestFilter(Map<String, String> exact, Map<String, String> prefixes, ObjectMapper json) {
        this.exact = exact;
        this.prefixes = prefixes;
        this.json = json;
    }

    /** A filter with no paths declared yet; declare them with {@link Builder#path} and {@link Builder#below}. */
    static Builder builder(ObjectMapper json) {
        return new Builder(Objects.requireNonNull(json, "json"));
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Optional<String> allowed = allowedMethods(path(request));
        if (allowed.isPresent()) {
            String method = request.getMethod();
            if (method.equals("OPTIONS")) {
                response.setHeader("Allow", allowed.get());
                response.setStatus(HttpServletResponse.SC_NO_CONTENT);
                return;
            }
            if (!List.of(allowed.get().split(", ")).contains(method)) {
                Problems.methodNotAllowed(request, response, json, allowed.get());
                return;
            }
        }
        if (hasContentCoding(request)) {
            response.setHeader("Accept-Encoding", IDENTITY_ONLY);
            // The coding is not quoted back: a header value chosen by the client has no place in the answer.
            Problems.write(response, json, HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE,
                    Problems.UNSUPPORTED_CONTENT_ENCODING_TYPE, "Unsupported content encoding",
                    "The request body has a Content-Encoding other than identity, and this API does not decode "
                            + "request bodies. Send the body as it is, without a Content-Encoding header.",
                    request.getRequestURI());
            return;
        }
        chain.doFilter(request, response);
    }

    /** The methods {@code path} supports, as {@code Allow} lists them; empty for a path not declared. */
    Optional<String> allowedMethods(String path) {
        String methods = exact.get(path);
        if (methods == null) {
            for (Map.Entry<String, String> prefix : prefixes.entrySet()) {
                if (path.startsWith(prefix.getKey())) {
                    methods = prefix.getValue();
                    break;
                }
            }
        }
        return Optional.ofNullable(methods);
    }

    /** The path within the context, decoded and normalised by the container: what the servlet mapping matched. */
    private static String path(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return request.getServletPath() + (pathInfo == null ? "" : pathInfo);
    }

    /** Whether the request declares any coding but identity ({@code Content-Encoding} is a comma-separated list). */
    private static boolean hasContentCoding(HttpServletRequest request) {
        for (String header : Collections.list(request.getHeaders("Content-Encoding"))) {
            for (String coding : header.split(",")) {
                String name = coding.trim();
                if (!name.isEmpty() && !name.equalsIgnoreCase(IDENTITY_ONLY)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Declares the paths and their methods. */
    static final class Builder {

        private final ObjectMapper json;
        private final Map<String, String> exact = new LinkedHashMap<>();
        private final Map<String, String> prefixes = new LinkedHashMap<>();

        private Builder(ObjectMapper json) {
            this.json = json;
        }

        /**
         * {@code path} itself supports {@code methods}. Exactly that path: {@code /payments/} is below
         * {@code /payments}, and not a lease path as {@code /payments} is.
         */
        Builder path(String path, String... methods) {
            exact.put(path, allow(methods));
            return this;
        }

        /** Every path below {@code path} ({@code path/} and {@code path/...}) supports {@code methods}. */
        Builder below(String path, String... methods) {
            prefixes.put(path + "/", allow(methods));
            return this;
        }

        UnsupportedRequestFilter build() {
            return new UnsupportedRequestFilter(Map.copyOf(exact), Collections.unmodifiableMap(
                    new LinkedHashMap<>(prefixes)), json);
        }

        /** The {@code Allow} value: the methods, {@code HEAD} after {@code GET}, {@code OPTIONS} last. */
        private static String allow(String... methods) {
            List<String> allowed = new ArrayList<>();
            for (String method : methods) {
                String name = method.toUpperCase(Locale.ROOT);
                allowed.add(name);
                if (name.equals("GET")) {
                    allowed.add("HEAD");
                }
            }
            allowed.add("OPTIONS");
            return String.join(", ", allowed);
        }
    }
}
