package dev.idempotency;

/**
 * When a transaction-mode request takes its key: before its handler runs, or together with its outcome.
 * Lease-mode requests always claim first ({@link ExecutionMode#LEASE}).
 */
public enum ClaimStrategy {

    /**
     * The key is claimed before the handler runs, in the request's transaction, and held until it commits:
     * a retry or a concurrent duplicate never runs the handler while the first request runs; it is answered 409
     * (or waits, with {@link ConcurrentRequestPolicy#WAIT}). One round trip to the database before the handler.
     * The default.
     */
    PESSIMISTIC,

    /**
     * No claim before the handler: it runs at once in the request's transaction, and the completed record is
     * inserted with the outcome, just before the commit (on PostgreSQL in the same round trip as the
     * {@code COMMIT}). If the key's record is there by then, the insert fails, everything the handler wrote
     * is rolled back, and the request is answered from that record (replay, 409 or 422) as with
     * {@link #PESSIMISTIC}. So every retry runs the handler again, and has its writes rolled back, before it is
     * answered from the record; concurrent duplicates all run their handlers, the first to insert its record
     * wins, and the others wait at their insert for its commit and replay it. A retry of an expired record not purged yet is rolled back the same
     * way, then runs again under a {@link #PESSIMISTIC} claim. Saves the claim's round trip on new keys. Anything the
     * handler does outside the transaction happens again on each such run. Only for stores that support it
     * ({@link dev.idempotency.spi.IdempotencyStore#supportsOptimisticClaims()}).
     */
    OPTIMISTIC
}
