package dev.idempotency.client;

import java.net.http.HttpHeaders;
import java.util.Optional;

/**
 * The server refused the call in a way the same request cannot get past: 400 (a missing or invalid key, a
 * malformed body), 413 (too large) or 422 ({@link KeyReusedException}). Nothing took effect.
 */
public class RequestRefusedException extends IdempotentCallException {

    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final transient HttpHeaders headers;
    private final transient byte[] body;
    private final transient Problem problem;

    RequestRefusedException(String message, String key, int attempts, int statusCode, HttpHeaders headers,
            byte[] body, Problem problem) {
        super(message, key, attempts, null);
        this.statusCode = statusCode;
        this.headers = headers;
        this.body = body;
        this.problem = problem;
    }

    /** The refusal's status. */
    public int statusCode() {
        return statusCode;
    }

    /** The refusal's headers. */
    public HttpHeaders headers() {
        return headers;
    }

    /** The refusal's body, as received. */
    public byte[] body() {
        return body.clone();
    }

    /** The refusal as a problem document, when it was one ({@code application/problem+json}). */
    public Optional<Problem> problem() {
        return Optional.ofNullable(problem);
    }
}
