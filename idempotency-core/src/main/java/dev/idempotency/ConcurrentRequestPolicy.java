package dev.idempotency;

/**
 * What a request does when another request with the same key is still being processed.
 */
public enum ConcurrentRequestPolicy {

    /**
     * Answer at once with 409 and {@code Retry-After}. The default: it never ties up a server thread or a
     * database connection waiting for someone else's request.
     */
    REJECT,

    /**
     * Wait up to {@code idempotency.wait-timeout} for the first request to finish, then replay its
     * outcome (or run, if the first one failed and freed the key). Still 409 if the wait runs out. For
     * clients that cannot handle 409. The wait polls the store with backoff and holds no database
     * connection between polls.
     */
    WAIT
}
