package dev.idempotency;

/**
 * How a claimed key, the handler and the stored outcome relate to database transactions.
 */
public enum ExecutionMode {

    /**
     * One transaction: the claim, the handler's own database writes and the stored outcome commit
     * together, or not at all. The default, and the right mode for handlers whose effect is a database
     * write: it is exactly once.
     */
    TRANSACTION,

    /**
     * A lease: the claim commits at once as "in progress" with a lease the store judges on its own clock
     * and the library renews while the handler runs; the handler runs outside any transaction of the
     * library; the outcome is stored in a second transaction, guarded by a fencing token, so a request whose
     * lease expired can never overwrite the outcome of the one that took over. For handlers whose effect
     * leaves the database (a payment provider, another service). After a crash the lease expires and a
     * retry runs again, so the external effect is at least once unless the downstream call is itself
     * idempotent: pass it {@link IdempotencyContext#derivedKey(String)}.
     */
    LEASE
}
