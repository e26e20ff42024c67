package dev.idempotency.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Finds the message id of a record that has no {@value KafkaHeaders#MESSAGE_ID} header: a record from a producer
 * other than the outbox, whose id is in another header or in the value. The id must be the same on every
 * delivery and every re-publication of one message, and differ between messages: never the offset, which a
 * producer's retry changes.
 */
@FunctionalInterface
public interface MessageIdExtractor {

    /** The record's stable id, or {@code null} (or empty) if it has none: it is then dead-lettered, not applied. */
    String messageId(ConsumerRecord<byte[], byte[]> record);
}
