package dev.idempotency;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The outcome kept for an idempotency key and sent again to every retry: the status, the headers that
 * are safe to replay, and the body bytes exactly as first sent.
 */
public final class StoredResponse {

    private final int status;
    private final List<Header> headers;
    private final byte[] body;

    private StoredResponse(int status, List<Header> headers, byte[] body) {
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    /**
     * @param status an HTTP status code, 100 to 599
     * @param headers the headers to replay, in order
     * @param body the body bytes (copied)
     */
    public static StoredResponse of(int status, List<Header> headers, byte[] body) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status must be 100 to 599, not " + status);
        }
        return new StoredResponse(status, List.copyOf(Objects.requireNonNull(headers, "headers")),
                Objects.requireNonNull(body, "body").clone());
    }

    public int status() {
        return status;
    }

    /** The headers to replay, in the order the handler set them. */
    public List<Header> headers() {
        return headers;
    }

    /** The body bytes (a copy). */
    public byte[] body() {
        return body.clone();
    }

    /** The body length in bytes, without copying the body. */
    public int bodyLength() {
        return body.length;
    }

    /** The first value of header {@code name} (case-insensitive), or {@code null}. */
    public String header(String name) {
        for (Header header : headers) {
            if (header.hasName(name)) {
                return header.value();
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredResponse other && status == other.status && headers.equals(other.headers)
                && Arrays.equals(body, other.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, headers, Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return "StoredResponse[status=" + status + ", headers=" + headers + ", body=" + body.length + " bytes]";
    }
}
