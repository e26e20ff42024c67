package dev.idempotency.jdbc;

import dev.idempotency.jdbc.internal.LocalTransaction;
import dev.idempotency.jdbc.internal.Transaction;
import dev.idempotency.jdbc.internal.TransactionBinding;
import dev.idempotency.jdbc.internal.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * A claim's transaction that a framework manages ({@link ClaimTransactions}), as the store's claims use one:
 * begun, committed and rolled back by the framework; what the dialects need besides (a fresh start after a
 * failed statement, a read of uncommitted rows) done on its connection at the start of the transaction, before
 * anything of the application ran in it.
 */
final class ManagedTransaction implements Transaction {

    private final DataSource pool;
    private final ClaimTransactions.ClaimTransaction managed;
    private boolean ended;

    private ManagedTransaction(DataSource pool, ClaimTransactions.ClaimTransaction managed) {
        this.pool = pool;
        this.managed = managed;
    }

    /** The claims' transactions, begun by {@code source}. */
    static Transactions source(ClaimTransactions source, DataSource pool, boolean readCommitted) {
        return () -> new ManagedTransaction(pool, source.begin(pool, readCommitted));
    }

    @Override
    public Connection connection() {
        return managed.connection();
    }

    /**
     * Binds the connection for the store's {@link TransactionJoiningDataSource} too: the framework has bound it
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
