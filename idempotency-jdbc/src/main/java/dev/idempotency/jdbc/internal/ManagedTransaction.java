package dev.idempotency.jdbc.internal;

import dev.idempotency.jdbc.ClaimTransactions;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A transaction that a framework manages ({@link ClaimTransactions}), as the store's claims and the inbox's
 * deliveries use one: begun, committed and rolled back by the framework; what the dialects need besides (a
 * fresh start after a failed statement, a read of uncommitted rows) done on its connection at the start of the
 * transaction, before anything of the application ran in it.
 */
public final class ManagedTransaction implements Transaction {

    private final DataSource pool;
    private final ClaimTransactions.ClaimTransaction managed;
    private boolean ended;

    private ManagedTransaction(DataSource pool, ClaimTransactions.ClaimTransaction managed) {
        this.pool = pool;
        this.managed = managed;
    }

    /** Transactions begun by {@code source}: a store's claims', or an inbox's deliveries'. */
    public static Transactions source(ClaimTransactions source, DataSource pool, boolean readCommitted) {
        return () -> new ManagedTransaction(pool, source.begin(pool, readCommitted));
    }

    @Override
    public Connection connection() {
        return managed.connection();
    }

    /**
     * Binds the connection for the store's {@link dev.idempotency.jdbc.TransactionJoiningDataSource} too: the framework has bound it
     * for its own means already.
     */
    @Override
    public <T> T bind(Work<T> work) throws Exception {
        TransactionBinding.bind(pool, managed.connection());
        try {
            return work.run();
        } finally {
            TransactionBinding.unbind(pool);
        }
    }

    @Override
    public void restart() throws SQLException {
        managed.connection().rollback();
    }

    @Override
    public <T> T readUncommitted(SqlWork<T> read) throws SQLException {
        return LocalTransaction.readUncommitted(managed.connection(), read);
    }

    @Override
    public boolean commitInStatementAllowed() {
        return managed.maySendCommit();
    }

    @Override
    public void commit() throws SQLException {
        ended = true;
        managed.commit();
    }

    @Override
    public void rollback() {
        ended = true;
        managed.rollback();
    }

    @Override
    public void close() {
        if (!ended) {
            rollback();
        }
    }
}
