/**
 * RabbitMQ for the outbox and the inbox. {@link dev.idempotency.rabbitmq.RabbitPublisher} publishes an
 * outbox's messages to exchanges with publisher confirms; {@link dev.idempotency.rabbitmq.RabbitInboxConsumer}
 * consumes a queue and applies each message once through a {@link dev.idempotency.jdbc.inbox.JdbcInbox}.
 */
package dev.idempotency.rabbitmq;
