package dev.idempotency.spi;

import dev.idempotency.IdempotencyConfig;
import java.time.Instant;

/**
 * Keeps idempotency records: which keys were claimed, by which request, and with what outcome.
 *
 * <p>The guarantee every implementation gives: for one {@link RecordKey}, at most one claim is open at a
 * time, and once a claim completes, every later claim until the record expires gets that record. A
 * claim that is abandoned, or whose holder dies, leaves no record behind. The contract suite in
 * {@code idempotency-testing} checks exactly this.
 *
 * <p>Implementations are thread-safe.
 */
public interface IdempotencyStore extends AutoCloseable {

    /**
     * Claims {@code request.key()}, never waiting for another holder.
     *
     * @return {@link ClaimResult.Acquired} if the key was absent or expired at {@code request.now()};
     *     {@link ClaimResult.Existing} if a completed, unexpired record exists;
     *     {@link ClaimResult.Busy} if another claim holds the key
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreException for other store failures
     */
    ClaimResult claim(ClaimRequest request);

    /**
     * Whether this store takes {@linkplain #claimOptimistically optimistic claims}
     * ({@link dev.idempotency.ClaimStrategy#OPTIMISTIC}). The default is {@code false}.
     */
    default boolean supportsOptimisticClaims() {
        return false;
    }

    /**
     * Opens a transaction-mode claim of {@code request.key()} without claiming the key yet, and without
     * reaching the store if it can: the handler runs in {@link Claim#execute}, and {@link Claim#complete}
     * writes the completed record together with the claim's writes, or fails with {@link KeyTakenException}
     * and keeps nothing if the key was taken by then (a record of the key is there, completed, in progress or
     * expired, or another claim holds it). It never completes over a record that was there, and never keeps
     * the claim's writes without the record. Until {@code complete}, other claims of the key do not see this
     * one. {@link Claim#abandon} rolls back as for any claim.
     *
     * @throws UnsupportedOperationException if {@link #supportsOptimisticClaims()} is {@code false}, as by default
     * @throws IllegalArgumentException if {@code request} is not a transaction-mode claim
     * @throws StoreUnavailableException if the store cannot be reached
     * @throws StoreException for other store failures
     */
    default Claim claimOptimistically(ClaimRequest request) {
        throw new UnsupportedOperationException(getClass().getName() + " does not take optimistic claims");
    }

    /**
     * Deletes up to {@code limit} records that expired at or before {@code now}, in one short
     * transaction. Never deletes a record that a claim holds.
     *
     * @return how many records were deleted; fewer than {@code limit} means none are left for now
     */
    int purgeExpired(Instant now, int limit);

    /**
     * Hands the store the purge settings of an adapter that serves it: the purge interval, batch size and
     * clock of {@code config} ({@code idempotency.purge-interval}, {@code idempotency.purge-batch-size}). A
     * store that deletes its own expired records, on a thread it owns from its creation to {@link #close()},
     * takes each of these settings that its builder was not given, and returns {@code true}. The default
     * returns {@code false}: the store leaves its purge to the adapter, which then runs an
     * {@link dev.idempotency.store.ExpiredRecordPurger} for as long as it runs.
     *
     * @return whether the store purges its expired records itself
     */
    default boolean adoptPurgeSettings(IdempotencyConfig config) {
        return false;
    }

    /** Releases what the store owns (a connection pool it created, say). The default does nothing. */
    @Override
    default void close() {
    }
}
