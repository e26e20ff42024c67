package dev.idempotency;

import dev.idempotency.internal.Fingerprints;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What makes two requests "the same request" for one idempotency key: a SHA-256 digest over the method,
 * the path, the query parameters in canonical order, the media type ({@code Content-Type}), the content
 * coding ({@code Content-Encoding}) and the body. A JSON body is canonicalised first, so member order and
 * insignificant whitespace do not matter, while numbers and strings count exactly as sent; any other body,
 * and any body with a content coding, counts by its raw bytes. Other headers do not count.
 *
 * <p>Each fingerprint carries the version of the algorithm that computed it; stores persist it, so the
 * algorithm can change in a later release without breaking retries of requests made before.
 */
public final class RequestFingerprint {

    /** The algorithm version this release computes. */
    public static final int CURRENT_VERSION = Fingerprints.CURRENT_VERSION;

    private final int version;
    private final byte[] digest;

    private RequestFingerprint(int version, byte[] digest) {
        this.version = version;
        this.digest = digest;
    }

    /**
     * Fingerprints a request without a content coding with the current algorithm.
     *
     * @param method the HTTP method, as sent
     * @param path the request path, as sent (without the query)
     * @param rawQuery the raw query string without {@code ?}, or {@code null}
     * @param contentType the Content-Type header, or {@code null}
     * @param body the body bytes (empty for none)
     * @throws MalformedRequestBodyException if the content type says JSON and the body is not JSON
     */
    public static RequestFingerprint of(String method, String path, String rawQuery, String contentType,
            byte[] body) {
        return of(CURRENT_VERSION, method, path, rawQuery, contentType, null, body);
    }

    /**
     * Fingerprints a request with a given algorithm version: the current one, or an earlier one to compare
     * with a record stored by an earlier release.
     *
     * @param contentEncoding the Content-Encoding header (several joined with commas), or {@code null}; a
     *     body with a content coding is fingerprinted by its raw bytes, never parsed
     * @throws IllegalArgumentException if this release does not know {@code version}
     * @throws MalformedRequestBodyException if the content type says JSON, there is no content coding, and
     *     the body is not JSON
     */
    public static RequestFingerprint of(int version, String method, String path, String rawQuery,
            String contentType, String contentEncoding, byte[] body) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(body, "body");
        return new RequestFingerprint(version,
                Fingerprints.compute(version, method, path, rawQuery, contentType, contentEncoding, body));
    }

    /** Restores a stored fingerprint. */
    public static RequestFingerprint restore(int version, byte[] digest) {
        Objects.requireNonNull(digest, "digest");
        if (digest.length != 32) {
            throw new IllegalArgumentException("A fingerprint digest is 32 bytes, not " + digest.length);
        }
        return new RequestFingerprint(version, digest.clone());
    }

    /** Whether this release can compute fingerprints of the given version. */
    public static boolean isKnownVersion(int version) {
        return Fingerprints.isKnownVersion(version);
    }

    /** The algorithm version. */
    public int version() {
        return version;
    }

    /** The 32-byte SHA-256 digest (a copy). */
    public byte[] digest() {
        return digest.clone();
    }

    /** The digest as 64 lower-case hex characters. */
    public String toHex() {
        return HexFormat.of().formatHex(digest);
    }

    @Override
    public boolean equals(Object o) {
        // Constant-time: a fingerprint comparison should not leak how much of a digest matched.
        return o instanceof RequestFingerprint other && version == other.version
                && MessageDigest.isEqual(digest, other.digest);
    }

    @Override
    public int hashCode() {
        return 31 * version + Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return "v" + version + ":" + toHex();
    }
}
