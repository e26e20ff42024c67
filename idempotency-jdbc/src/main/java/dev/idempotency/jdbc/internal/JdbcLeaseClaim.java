package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.LeaseLostException;
import java.lang.System.Logger.Level;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;

/**
 * A lease-mode claim: its in-progress record is already committed, so it holds no connection while the
 * handler runs. Renewing, storing the outcome and giving the key up are each one short statement, committing
 * on its own, on a pooled connection, all guarded by the fencing token the claim was granted.
 */
public final class JdbcLeaseClaim implements Claim {

    private static final System.Logger LOG = System.getLogger(JdbcLeaseClaim.class.getName());

    private final LocalTransactions transactions;
    private final SqlDialect dialect;
    private final ClaimRequest request;
    private final long fencingToken;
    private final ClaimLifecycle lifecycle;

    /** The lease claim of {@code request}, granted {@code fencingToken}; its statements run on that pool. */
    public JdbcLeaseClaim(LocalTransactions transactions, SqlDialect dialect, ClaimRequest request, long fencingToken) {
        this.transactions = transactions;
        this.dialect = dialect;
        this.request = request;
        this.fencingToken = fencingToken;
        this.lifecycle = new ClaimLifecycle(request.key().toString());
    }

    @Override
    public <T> T execute(Work<T> work) throws Exception {
        lifecycle.requireOpen("execute");
        return work.run();
    }

    @Override
    public boolean renew() {
        try {
            return transactions.autoCommitted(connection -> dialect.renew(connection, request.key(), fencingToken,
                    request.leaseDuration()));
        } catch (SQLException e) {
            throw SqlErrors.translate("renewing the lease on an idempotency key", e);
        }
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public void complete(StoredResponse response, Instant expiresAt) {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(expiresAt, "expiresAt");
        lifecycle.complete();
        boolean stored;
        try {
            stored = transactions.autoCommitted(connection -> dialect.complete(connection, request.key(), fencingToken,
                    response, expiresAt));
        } catch (SQLException e) {
            releaseQuietly();
            throw SqlErrors.translate("storing the outcome of an idempotency key", e);
        }
        if (!stored) {
            throw new LeaseLostException(request.key(), fencingToken);
        }
    }

    @Override
    public void abandon() {
        if (lifecycle.abandon()) {
            releaseQuietly();
        }
    }

    /** Frees the key now if the store can be reached; otherwise the lease frees it when it runs out. */
    private void releaseQuietly() {
        try {
            transactions.autoCommitted(connection -> {
                dialect.release(connection, request.key(), fencingToken);
                return null;
            });
        } catch (SQLException | RuntimeException e) {
            // Until the lease runs out, a retry is told the key is busy.
            LOG.log(Level.WARNING, "Could not release the lease on an idempotency key; it is freed when the lease expires", e);
        }
    }

    @Override
    public void close() {
        abandon();
    }
}
