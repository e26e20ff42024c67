/**
 * Apache Kafka for the outbox and the inbox: {@code KafkaOutboxPublisher} publishes the outbox's messages with
 * an idempotent producer, and {@code KafkaInboxConsumer} applies each consumed record once through the JDBC
 * inbox, committing its offset only after the database commit.
 *
 * <p>The Kafka client has no module name of its own; it is read by the name its jar gives it,
 * {@code kafka.clients}.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.idempotency.kafka {
    requires transitive dev.idempotency.jdbc;
    requires transitive kafka.clients;

    exports dev.idempotency.kafka;
}
