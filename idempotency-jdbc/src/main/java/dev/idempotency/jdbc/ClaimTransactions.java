package dev.idempotency.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Where the transaction of a transaction-mode claim comes from: the transaction in which a key is claimed, the
 * handler's writes are made and the outcome is stored; the inbox takes each delivery's transaction (its marker
 * and the work's writes) from one too. By default it is a transaction of the store's (or inbox's) own, on a
 * connection of its pool. A framework that manages transactions itself supplies another, so that the code
 * behind an idempotent endpoint or an inbox's work joins the transaction through the framework's own means:
 * the Spring Boot integration begins, commits and rolls back through Spring's transaction manager.
 *
 * <p>Implementations are thread-safe; each {@link ClaimTransaction} belongs to the thread that began it.
 */
@FunctionalInterface
public interface ClaimTransactions {

    /**
     * Begins a transaction for a claim, on the calling thread.
     *
     * @param pool the store's pool
     * @param readCommitted whether the transaction must run at READ COMMITTED because the pool's default is
     *     another level
     * @throws SQLException if no transaction could be begun; nothing is left open
     */
    ClaimTransaction begin(DataSource pool, boolean readCommitted) throws SQLException;

    /** One claim's transaction. */
    interface ClaimTransaction {

        /**
         * The transaction's connection: the claim's statements and the outcome's run on it. Do not commit,
         * roll back or close it directly.
         */
        Connection connection();

        /**
         * Whether the store may end the transaction itself, by sending {@code COMMIT} in the same round trip as
         * the outcome's statement; {@link #commit()} is still called afterwards. {@code false} when something
         * else must run at the commit (a framework flushing its own pending writes first).
         */
        boolean maySendCommit();

        /**
         * Commits: the claim, every write made in it and the outcome become durable together. The transaction
         * is over afterwards, whether this succeeds or throws.
         *
         * @throws SQLException if the commit failed; nothing was kept
         */
        void commit() throws SQLException;

        /** Rolls back and ends the transaction; never throws (a broken connection has nothing to roll back). */
        void rollback();
    }
}
