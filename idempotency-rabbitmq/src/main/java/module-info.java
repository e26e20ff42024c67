/**
 * RabbitMQ for the outbox and the inbox: {@code RabbitPublisher}, an outbox publisher with publisher confirms,
 * mandatory routing and persistent messages, and {@code RabbitInboxConsumer}, which applies each delivery of a
 * queue once through a {@code JdbcInbox} and acknowledges it only after the inbox's commit.
 *
 * <p>The RabbitMQ Java client is not a named module yet and is required by its automatic name.
 */
@SuppressWarnings("requires-automatic")
module dev.idempotency.rabbitmq {
    requires transitive dev.idempotency.core;
    requires transitive dev.idempotency.jdbc;
    requires transitive com.rabbitmq.client;

    exports dev.idempotency.rabbitmq;
}
