package dev.idempotency.event;

/**
 * How the protocol answered a request it covers: one value per row of the behaviour table that is not a pass
 * through. {@link #tag()} is the stable, lower-case name metrics use ({@code outcome} of
 * {@code idempotency.requests}).
 */
public enum RequestOutcome {

    /** The handler ran and its outcome was stored (committed with its effects in transaction mode). */
    EXECUTED("executed"),
    /** A retry got the stored outcome; the handler did not run. */
    REPLAYED("replayed"),
    /** 409: the key is held by a running request (or a lease) for the same request. */
    CONFLICT("conflict"),
    /** 422: the key was used for a different request (method, path, query or body). */
    MISMATCH("mismatch"),
    /** 400: a covered request came without a key, and keys are required. */
    MISSING_KEY("missing_key"),
    /** 400: the key was empty, too long, not visible ASCII, or sent more than once. */
    INVALID_KEY("invalid_key"),
    /** 413: the request body was over the limit; nothing ran. */
    TOO_LARGE("too_large"),
    /** 400: a JSON body that does not parse; nothing ran. */
    MALFORMED_BODY("malformed_body"),
    /** 400: the client (the scope) could not be identified. */
    UNIDENTIFIED_CLIENT("unidentified_client"),
    /**
     * 503 or 500: the store could not be reached or failed, while claiming or while storing the outcome;
     * nothing was committed and the key is free (in lease mode, free once the lease ends).
     */
    STORE_UNAVAILABLE("store_unavailable"),
    /**
     * The handler threw, or answered a status that is not stored (5xx by default): its writes were rolled back
     * and the key freed, so a retry runs again.
     */
    FAILED("failed"),
    /** 500: the handler's response was too large to store; its writes were rolled back and the key freed. */
    RESPONSE_TOO_LARGE("response_too_large"),
    /** 409 ({@code lease-lost}): a lease-mode request lost its lease to another; its outcome was not stored. */
    LEASE_LOST("lease_lost"),
    /**
     * 503: the key's record was written by a newer release, with a fingerprint version this one does not know
     * (during a rolling upgrade).
     */
    UNKNOWN_FINGERPRINT_VERSION("unknown_fingerprint_version");

    private final String tag;

    RequestOutcome(String tag) {
        this.tag = tag;
    }

    /** The stable lower-case name of this outcome, such as {@code missing_key}. */
    public String tag() {
        return tag;
    }

    /** Whether the protocol refused the request (a problem response) rather than running or replaying it. */
    public boolean refused() {
        return this != EXECUTED && this != REPLAYED && this != FAILED;
    }
}
