package dev.idempotency.jdbc.outbox;

/**
 * A business change and the messages it enqueues: what {@link JdbcOutbox#inTransaction} runs in one
 * transaction, which {@link JdbcOutbox#enqueue(OutboxMessage)} and the outbox's
 * {@link JdbcOutbox#transactionalDataSource() transactional DataSource} join.
 *
 * @param <T> what the work returns
 */
@FunctionalInterface
public interface TransactionWork<T> {

    /**
     * Makes the change.
     *
     * @throws Exception anything; the transaction is rolled back and the exception thrown on, unchanged
     */
    T run() throws Exception;
}
