/**
 * The outbox publisher to Kafka ({@link dev.idempotency.kafka.KafkaOutboxPublisher}) and the consumer that
 * applies each record once through the inbox ({@link dev.idempotency.kafka.KafkaInboxConsumer}); the header
 * names both use are in {@link dev.idempotency.kafka.KafkaHeaders}. See {@code docs/messaging-kafka.md}.
 */
package dev.idempotency.kafka;
