package dev.idempotency.nats;

import io.nats.client.Message;

/**
 * Finds the stable id of a message that carries no {@code Nats-Msg-Id} (one published by another producer than
 * the outbox): an event id in a header or in the payload. It must give the same id for every delivery of one
 * event, and different ids for different events.
 */
@FunctionalInterface
public interface MessageIdExtractor {

    /**
     * The message's id.
     *
     * @return the id, or {@code null} (or an empty string) if the message has none: it is then refused and
     *     terminated, never applied unguarded
     * @throws Exception if the message cannot be read; it counts as a message without an id
     */
    String messageId(Message message) throws Exception;
}
