package dev.idempotency.spi;

import dev.idempotency.StoredResponse;
import java.time.Instant;

/**
 * The exclusive right to process one key, obtained as {@link ClaimResult.Acquired}. While a claim is
 * open every other claim of its key gets {@link ClaimResult.Busy}.
 *
 * <p>Life cycle: optionally {@link #execute} the handler, then either {@link #complete} with the
 * outcome or {@link #abandon}; {@link #close} always (it abandons a claim that was not completed). A
 * transactional store runs {@code execute} inside the claim's transaction, so the handler's own writes
 * commit with the outcome in {@code complete} or roll back in {@code abandon}. A claim belongs to the
 * thread that obtained it and is not safe for concurrent use.
 */
public interface Claim extends AutoCloseable {

    /** Work run inside the claim, which may throw anything. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code work} with the claim's transaction (if the store has one) bound to the current thread,
     * so the handler's database writes join it.
     *
     * @throws Exception whatever {@code work} throws, unchanged
     * @throws IllegalStateException if the claim was already completed, abandoned or closed
     */
    <T> T execute(Work<T> work) throws Exception;

    /**
     * Stores the outcome and makes it, and every write made in {@link #execute}, durable at once. After
     * it returns, claims of the key get {@link ClaimResult.Existing} with this response until
     * {@code expiresAt}.
     *
     * @param response the outcome to replay
     * @param expiresAt when the record stops counting: the caller passes the moment of completion plus the
     *     key's time to live, so that a request that ran longer than the time to live is still replayed to
     *     its retries; it replaces the {@link ClaimRequest#expiresAt()} the claim was made with
     * @throws LeaseLostException in lease mode, if another request took the key over after this claim's
     *     lease expired; nothing was stored
     * @throws KeyTakenException for an {@linkplain IdempotencyStore#claimOptimistically optimistic claim}, if the
     *     key was taken by then; nothing was stored or kept
     * @throws StoreUnavailableException if the store could not be reached; nothing was stored or kept
     * @throws StoreException if storing failed otherwise; nothing was stored or kept
     * @throws IllegalStateException if the claim was already completed, abandoned or closed
     */
    void complete(StoredResponse response, Instant expiresAt);

    /**
     * Gives the key up without an outcome: writes made in {@link #execute} are rolled back and the next
     * claim of the key is {@link ClaimResult.Acquired}. Never throws; failures are logged, because a
     * store that cannot roll back has lost the transaction anyway.
     */
    void abandon();

    /**
     * Extends the lease of a {@link dev.idempotency.ExecutionMode#LEASE} claim by its lease duration, from
     * now by the store's clock. The library calls it while the handler runs; it may be called from another
     * thread than the one running the handler.
     *
     * @return {@code false} if the lease was lost (another request took the key over); transaction-mode
     *     claims never lose their key and return {@code true}
     * @throws StoreException if the store could not be reached; the lease may still be held
     */
    default boolean renew() {
        return true;
    }

    /**
     * The claim's fencing token: it grows each time the key is taken over after a lease expired, so a
     * request that lost its lease can be told apart from the one that took over. Zero when the store does
     * not fence.
     */
    default long fencingToken() {
        return 0;
    }

    /** Abandons the claim unless it was completed; idempotent. */
    @Override
    void close();
}
