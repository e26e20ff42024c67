package dev.idempotency.rabbitmq;

import com.rabbitmq.client.Delivery;

/**
 * Applies one message consumed by a {@link RabbitInboxConsumer}: the user's code, run inside the inbox's
 * transaction.
 *
 * <p>Write through the inbox's {@link dev.idempotency.jdbc.inbox.JdbcInbox#transactionalDataSource()
 * transactionalDataSource()}: on the thread running the handler it hands out the transaction's connection, so
 * the writes commit with the message's marker, or not at all. Do not commit, roll back or turn auto-commit on
 * (the connection refuses); throw to roll back, and the message is redelivered.
 */
@FunctionalInterface
public interface RabbitInboxHandler {

    /**
     * Applies the message.
     *
     * @param messageId the id the inbox deduplicates on (the {@code message-id} property, or what the
     *     {@link MessageIdExtractor} found)
     * @param delivery the delivery: body, properties (headers included) and envelope
     * @throws Exception to roll back: nothing is committed and the message is redelivered, up to the consumer's
     *     {@link RabbitInboxConsumer.Builder#maxAttempts maximum attempts}
     */
    void handle(String messageId, Delivery delivery) throws Exception;
}
