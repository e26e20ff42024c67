package dev.idempotency.nats;

import io.nats.client.Message;

/**
 * The effect of one JetStream message: what {@link JetStreamInboxConsumer} runs once per message, inside the
 * inbox's transaction. Its writes through the inbox's
 * {@link dev.idempotency.jdbc.inbox.JdbcInbox#transactionalDataSource() transactional DataSource} commit with the
 * message's marker, or not at all.
 */
@FunctionalInterface
public interface JetStreamMessageHandler {

    /**
     * Applies the message. Do not acknowledge it here: the consumer acknowledges it after the commit.
     *
     * @param message the message as received (subject, headers, payload)
     * @param messageId the id the inbox deduplicates on ({@code Nats-Msg-Id}, or the extractor's)
     * @throws Exception anything: the transaction rolls back, and the message is redelivered after a delay
     */
    void handle(Message message, String messageId) throws Exception;
}
