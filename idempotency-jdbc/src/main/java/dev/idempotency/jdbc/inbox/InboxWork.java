package dev.idempotency.jdbc.inbox;

/**
 * The effect of one message: what {@link JdbcInbox#process} runs, once per message and consumer, in the
 * transaction that records the message as applied. Its writes through the inbox's
 * {@link JdbcInbox#transactionalDataSource() transactional DataSource} commit with that record, or not at all.
 *
 * @param <T> what the work returns, handed back in {@link InboxResult.Applied}
 */
@FunctionalInterface
public interface InboxWork<T> {

    /**
     * Applies the message.
     *
     * @throws Exception anything; the inbox rolls the transaction back and throws it on, unchanged
     */
    T run() throws Exception;
}
