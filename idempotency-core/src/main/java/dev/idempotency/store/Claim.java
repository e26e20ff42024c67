package dev.idempotency.store;

import dev.idempotency.StoredResponse;

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
     * it returns, claims of the key get {@link ClaimResult.Existing} with this response.
     *
     * @throws StoreUnavailableException if the store could not be reached; nothing was stored or kept
     * @throws StoreException if storing failed otherwise; nothing was stored or kept
     * @throws IllegalStateException if the claim was already completed, abandoned or closed
     */
    void complete(StoredResponse response);

    /**
     * Gives the key up without an outcome: writes made in {@link #execute} are rolled back and the next
     * claim of the key is {@link ClaimResult.Acquired}. Never throws; failures are logged, because a
     * store that cannot roll back has lost the transaction anyway.
     */
    void abandon();

    /** Abandons the claim unless it was completed; idempotent. */
    @Override
    void close();
}
