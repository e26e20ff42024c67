package dev.idempotency.adapter;

import dev.idempotency.Header;
import java.util.List;
import java.util.Objects;

/**
 * The response a handler produced, captured in full before anything is sent: the status, every header
 * it set (including ones that are never replayed, such as {@code Set-Cookie}), and the body.
 *
 * <p>When the handler wrote more than {@code idempotency.max-response-bytes}, {@link #truncated()} is
 * {@code true} and {@link #body()} holds only the first bytes; such a response is never stored or sent.
 */
public final class HandlerResponse {

    private final int status;
    private final List<Header> headers;
    private final byte[] body;
    private final boolean truncated;

    private HandlerResponse(int status, List<Header> headers, byte[] body, boolean truncated) {
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.truncated = truncated;
    }

    /** A complete response. The body array is kept, not copied: the capture that built it owns it. */
    public static HandlerResponse of(int status, List<Header> headers, byte[] body) {
        return new HandlerResponse(status, List.copyOf(headers), Objects.requireNonNull(body, "body"), false);
    }

    /** A response whose body outgrew the capture limit. */
    public static HandlerResponse truncated(int status, List<Header> headers) {
        return new HandlerResponse(status, List.copyOf(headers), new byte[0], true);
    }

    public int status() {
        return status;
    }

    public List<Header> headers() {
        return headers;
    }

    /** The captured body; not a copy, do not modify it. */
    public byte[] body() {
        return body;
    }

    /** Whether the body exceeded the capture limit. */
    public boolean truncated() {
        return truncated;
    }
}
