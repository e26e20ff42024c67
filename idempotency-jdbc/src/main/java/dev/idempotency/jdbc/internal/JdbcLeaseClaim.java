package dev.idempotency.jdbc.internal;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.LeaseLostException;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A lease-mode claim: its in-progress record is already committed, so it holds no connection while the
 * handler runs. Renewing, storing the outcome and giving the key up are each one short statement on a
 * pooled connection, all guarded by the fencing token the claim was granted.
 */
public final class JdbcLeaseClaim implements Claim {

    private static final System.Logger LOG = System.getLogger(JdbcLeaseClaim.class.getName());

    private final DataSource pool;
    private final SqlDialect dialect;
    private final ClaimRequest request;
    private final long fencingToken;
    private final ClaimLifecycle lifecycle;

    public JdbcLeaseClaim(DataSource pool, SqlDialect dialect, ClaimRequest request, long fencingToken) {
        this.pool = pool;
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
        try (Connection connection = autoCommit(pool.getConnection())) {
            return dialect.renew(connection, request.key(), fencingToken, request.leaseDuration());
        } catch (SQLException e) {
            throw SqlErrors.translate("renewing the lease on idempotency key " + request.key().key(), e);
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
        try (Connection connection = autoCommit(pool.getConnection())) {
            stored = dialect.complete(connection, request.key(), fencingToken, response, expiresAt);
        } catch (SQLException e) {
            releaseQuietly();
            throw SqlErrors.translate("storing the outcome of idempotency key " + request.key().key(), e);
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
        try (Connection connection = autoCommit(pool.getConnection())) {
            dialect.release(connection, request.key(), fencingToken);
        } catch (SQLException | RuntimeException e) {
            // Until the lease runs out, a retry is told the key is busy.
            LOG.log(Level.WARNING, "Could not release the lease on idempotency key " + request.key().key()
                    + "; it is freed when the lease expires", e);
        }
    }

    @Override
    public void close() {
        abandon();
    }

    private static Connection autoCommit(Connection connection) throws SQLException {
        if (!connection.getAutoCommit()) {
            connection.setAutoCommit(true);
        }
        return connection;
    }
}
