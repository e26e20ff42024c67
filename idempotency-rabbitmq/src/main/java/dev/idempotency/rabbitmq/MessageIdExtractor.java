package dev.idempotency.rabbitmq;

import com.rabbitmq.client.Delivery;

/**
 * Finds the stable id of a message that has no AMQP {@code message-id} property (one published by another
 * producer than {@link RabbitPublisher}), for a {@link RabbitInboxConsumer} to deduplicate on: an event id in a
 * header or in the body, the same in every delivery of the message.
 */
@FunctionalInterface
public interface MessageIdExtractor {

    /** An extractor that finds no id: messages without a {@code message-id} property are refused. */
    static MessageIdExtractor none() {
        return delivery -> null;
    }

    /**
     * The message's stable id.
     *
     * @return the id, or {@code null} (or empty) if the message has none: it is then refused and dead-lettered,
     *     never applied unguarded. Throwing counts as finding none.
     */
    String messageId(Delivery delivery);
}
