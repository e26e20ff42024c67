package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.KeyTakenException;
import dev.idempotency.spi.StoreException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;

/**
 * An optimistic claim: an open transaction that has claimed nothing. The handler's writes run in it, and
 * {@link #complete} inserts the completed record with a plain {@code INSERT} just before the {@code COMMIT}
 * ({@link SqlDialect#insertOptimistic}); if the key was taken, the insert fails, everything rolls back, and
 * {@link KeyTakenException} says so. Never a {@code COMMIT} after an insert that did not insert.
 */
public final class JdbcOptimisticClaim implements Claim {

    private final Transaction transaction;
    private final SqlDialect dialect;
    private final ClaimRequest request;
    private final ClaimLifecycle lifecycle;

    /** The optimistic claim of {@code request} in {@code transaction}, which it now owns and ends. */
    public JdbcOptimisticClaim(Transaction transaction, SqlDialect dialect, ClaimRequest request) {
        this.transaction = transaction;
        this.dialect = dialect;
        this.request = request;
        this.lifecycle = new ClaimLifecycle(request.key().toString());
    }

    /**
     * 1, as for a claim of a lock alone ({@code ClaimFound.Acquired.lockOnly()}): the transaction guards the writes,
     * not a token, and the record takes one from the database's clock.
     */
    @Override
    public long fencingToken() {
        return 1;
    }

    @Override
    public <T> T execute(Work<T> work) throws Exception {
        lifecycle.requireOpen("execute");
        return HandlerRuns.run(transaction, work::run);
    }

    @Override
    public void complete(StoredResponse response, Instant expiresAt) {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(expiresAt, "expiresAt");
        lifecycle.complete();
        try (transaction) {
            if (!dialect.insertOptimistic(transaction, request, response, expiresAt)) {
                transaction.rollback();
                throw new KeyTakenException(request.key(), null);
            }
            // After a COMMIT sent with the insert the transaction has ended already, and this is a no-op for the
            // driver; it keeps the pool's own bookkeeping of the connection's transaction state right.
            transaction.commit();
        } catch (SQLException e) {
            throw SqlErrors.translate("storing the outcome of an idempotency key", e);
        }
    }

    @Override
    public void abandon() {
        if (lifecycle.abandon()) {
            transaction.close();
        }
    }

    @Override
    public void close() {
        abandon();
    }
}
