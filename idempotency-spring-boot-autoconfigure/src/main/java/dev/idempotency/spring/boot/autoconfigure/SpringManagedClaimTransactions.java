package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.jdbc.ClaimTransactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Claims (and inbox deliveries) whose transaction is Spring's: begun, committed and rolled back by the application's
 * {@link PlatformTransactionManager} ({@code JdbcTransactionManager}, or {@code JpaTransactionManager} with JPA),
 * on the connection it binds for the DataSource. Everything the code behind an idempotent endpoint does through
 * Spring's transaction infrastructure ({@code @Transactional} with the default propagation,
 * {@code TransactionTemplate}, {@code JdbcTemplate}, {@code JdbcClient}, Spring Data, JPA entities flushed at the
 * commit) joins it, and commits with the stored outcome or not at all. {@code REQUIRES_NEW} keeps its meaning:
 * a separate transaction, outside the guarantee.
 *
 * <p>The claim's transaction is always a new one ({@code REQUIRES_NEW}): joining a transaction that something
 * else would commit later would let a response go out before its effects were durable.
 */
final class SpringManagedClaimTransactions implements ClaimTransactions {

    private final PlatformTransactionManager transactionManager;
    private final DataSource dataSource;
    private final String transaction;
    private final String code;

    private SpringManagedClaimTransactions(PlatformTransactionManager transactionManager, DataSource dataSource,
            String transaction, String code) {
        this.transactionManager = Objects.requireNonNull(transactionManager, "transactionManager");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.transaction = transaction;
        this.code = code;
    }

    /** The transactions of the idempotency store's claims: one per idempotent request. */
    static SpringManagedClaimTransactions forRequests(PlatformTransactionManager transactionManager,
            DataSource dataSource) {
        return new SpringManagedClaimTransactions(transactionManager, dataSource, "the request's transaction",
                "the code behind the endpoint");
    }

    /** The transactions of the inbox's deliveries: one per message applied. */
    static SpringManagedClaimTransactions forInbox(PlatformTransactionManager transactionManager,
            DataSource dataSource) {
        return new SpringManagedClaimTransactions(transactionManager, dataSource, "the inbox delivery's transaction",
                "the inbox's work");
    }

    @Override
    public ClaimTransaction begin(DataSource pool, boolean readCommitted) throws SQLException {
        DefaultTransactionDefinition definition = new DefaultTransactionDefinition(
                TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        definition.setName(transaction);
        if (readCommitted) {
            definition.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
        }
        TransactionStatus status;
        try {
            status = transactionManager.getTransaction(definition);
        } catch (TransactionException e) {
            throw sqlException("beginning " + transaction, e);
        }
        try {
            if (!(TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder)) {
                throw new IllegalStateException("The transaction manager " + transactionManager.getClass().getName()
                        + " began a transaction that does not hold a connection of the DataSource the idempotency "
                        + "library uses (" + dataSource + "), so the library's writes and the application's would not "
                        + "commit together. Give the application one DataSource that this transaction manager "
                        + "manages, or define the IdempotencyStore and JdbcInbox beans yourself.");
            }
            return new SpringClaimTransaction(status, DataSourceUtils.getConnection(dataSource));
        } catch (RuntimeException e) {
            rollbackQuietly(status);
            throw e;
        }
    }

    private void rollbackQuietly(TransactionStatus status) {
        try {
            if (!status.isCompleted()) {
                transactionManager.rollback(status);
            }
        } catch (TransactionException e) {
            // The database rolls back a transaction whose connection is gone.
            System.getLogger(SpringManagedClaimTransactions.class.getName()).log(System.Logger.Level.DEBUG,
                    "Rolling back " + transaction + " failed", e);
        }
    }

    /**
     * The failure as the store expects it: a {@link SQLException}, the driver's own when Spring wrapped one (so
     * the store can tell "the database is unreachable" from other failures).
     */
    private static SQLException sqlException(String doing, TransactionException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return new SQLException("Spring's transaction manager failed while " + doing + ": " + e.getMessage(), e);
    }

    private final class SpringClaimTransaction implements ClaimTransaction {

        private final TransactionStatus status;
        private final Connection connection;
        private boolean released;

        SpringClaimTransaction(TransactionStatus status, Connection connection) {
            this.status = status;
            this.connection = connection;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        /** Spring must end it: JPA flushes its pending writes at the commit, before the COMMIT itself. */
        @Override
        public boolean maySendCommit() {
            return false;
        }

        @Override
        public void commit() throws SQLException {
            release();
            if (status.isRollbackOnly()) {
                rollbackQuietly(status);
                throw new SQLException(Character.toUpperCase(transaction.charAt(0)) + transaction.substring(1)
                        + " was marked rollback-only by " + code + " (a @Transactional method that threw, say), so "
                        + "everything in it was rolled back together and nothing was kept");
            }
            try {
                transactionManager.commit(status);
            } catch (TransactionException e) {
                throw sqlException("committing " + transaction, e);
            }
        }

        @Override
        public void rollback() {
            release();
            rollbackQuietly(status);
        }

        /** Gives back the reference this claim took on the transaction's connection, as JdbcTemplate does. */
        private void release() {
            if (!released) {
                released = true;
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
        }
    }
}
