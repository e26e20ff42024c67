package dev.idempotency.adapter;

import dev.idempotency.Idempotency;
import dev.idempotency.IdempotencyConfig;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The parts of an HTTP request the protocol looks at, as an adapter (the servlet filter, say) sees
 * them. Methods are called lazily and at most once each, in the order the protocol needs them, so an
 * adapter reads the body only for requests that are processed.
 */
public interface IncomingRequest {

    /** The HTTP method, as sent. */
    String method();

    /** The {@code Content-Encoding} header, several joined with commas, or {@code null}. */
    default String contentEncoding() {
        return null;
    }

    /** The request path as sent, without the query; the fingerprint counts it as it is. */
    String path();

    /**
     * The path the application routes the request on: decoded, normalised (no {@code .} or {@code ..}
     * segments, no path parameters such as {@code ;jsessionid=...}), context path included. Path rules such
     * as {@link IdempotencyConfig#leasePaths()} match it, so a request cannot escape a rule by spelling the
     * same path another way ({@code /%70ayments}, {@code /payments;x=1}, {@code /posts/../payments}). By
     * default {@link #path()}, for adapters whose paths arrive normalised.
     */
    default String routedPath() {
        return path();
    }

    /** The raw query string without {@code ?}, or {@code null}. */
    String rawQuery();

    /** The Content-Type header, or {@code null}. */
    String contentType();

    /** Every {@code Idempotency-Key} header value, in order; empty when there is none. */
    List<String> idempotencyKeyHeaders();

    /** The client's scope, or empty if it cannot be determined. */
    Optional<String> scope();

    /** Where {@link #scope()} looks, for error messages: "the authenticated principal", say. */
    String scopeSource();

    /**
     * Reads the whole body.
     *
     * @param maxBytes the limit
     * @throws RequestBodyTooLargeException if the body is longer than {@code maxBytes}; the adapter stops
     *     reading at the limit
     * @throws IOException if the body cannot be read
     */
    byte[] readBody(int maxBytes) throws IOException;

    /**
     * What identifies the body in the request's fingerprint; by default the body read by
     * {@link #readBody}. An adapter whose framework may have consumed the body before it (a servlet filter
     * earlier in the chain that parsed a form) returns a canonical form of what the framework parsed, so
     * two different bodies never look alike just because neither could be read.
     *
     * @param body what {@link #readBody} returned
     */
    default byte[] fingerprintBody(byte[] body) {
        return body;
    }
}
