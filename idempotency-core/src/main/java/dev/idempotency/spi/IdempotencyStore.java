package dev.idempotency.spi;

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
     * Deletes up to {@code limit} records that expired at or before {@code now}, in one short
     * transaction. Never deletes a record that a claim holds.
     *
     * @return how many records were deleted; fewer than {@code limit} means none are left for now
     */
    int purgeExpired(Instant now, int limit);

    /** Releases what the store owns (a connection pool it created, say). The default does nothing. */
    @Override
    default void close() {
    }
}
