package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.servlet.EndpointSettings;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Objects;

/**
 * A servlet URL pattern as a filter mapping uses it, limited to the two forms a webhook path takes: an exact
 * path ({@code /webhooks/payments}) or a prefix ({@code /webhooks/*}, which matches {@code /webhooks} and
 * everything under it). Validated when it is read, so that a pattern the container would refuse, or would
 * read differently, fails start-up naming its property.
 */
final class ServletPathPattern {

    private final String pattern;
    private final String prefix;

    private ServletPathPattern(String pattern) {
        this.pattern = pattern;
        this.prefix = pattern.endsWith("/*") ? pattern.substring(0, pattern.length() - 2) : null;
    }

    /**
     * Parses {@code pattern}, the value of {@code property}.
     *
     * @throws IdempotencyConfigException naming the property and the value if it is not an exact path or a prefix
     */
    static ServletPathPattern parse(String property, String pattern) {
        Objects.requireNonNull(property, "property");
        if (pattern == null || pattern.isBlank()) {
            throw IdempotencyConfigException.missing(property, "expected a servlet URL pattern such as /webhooks/*");
        }
        int star = pattern.indexOf('*');
        boolean valid = pattern.startsWith("/") && pattern.equals(pattern.strip()) && !pattern.contains("?")
                && (star < 0 || (star == pattern.length() - 1 && pattern.endsWith("/*")));
        if (!valid) {
            throw IdempotencyConfigException.invalid(property, pattern, "a servlet URL pattern: an exact path "
                    + "such as /webhooks/payments, or a prefix such as /webhooks/* (starting with /, with * only "
                    + "as the last segment)");
        }
        return new ServletPathPattern(pattern);
    }

    /** The pattern, for a filter mapping. */
    String pattern() {
        return pattern;
    }

    /** Whether the request's path within the application matches, as the container matches a filter mapping. */
    boolean matches(HttpServletRequest request) {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        if (prefix == null) {
            return path.equals(pattern);
        }
        return path.equals(prefix) || path.startsWith(prefix + "/") || (prefix.isEmpty() && path.startsWith("/"));
    }

    /** {@code settings}, except that requests matching this pattern are left alone by the idempotency filter. */
    EndpointSettings excludedFrom(EndpointSettings settings) {
        return (request, defaults) -> matches(request) ? null : settings.forRequest(request, defaults);
    }

    @Override
    public String toString() {
        return pattern;
    }
}
