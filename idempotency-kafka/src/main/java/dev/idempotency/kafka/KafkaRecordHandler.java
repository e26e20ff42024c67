package dev.idempotency.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Applies one record: what {@link KafkaInboxConsumer} runs, once per message id, inside the inbox's
 * transaction. Write through the inbox's {@link dev.idempotency.jdbc.inbox.JdbcInbox#transactionalDataSource()
 * transactional DataSource} (on the calling thread): those writes commit with the inbox's marker, or not at all.
 */
@FunctionalInterface
public interface KafkaRecordHandler {

    /**
     * Applies {@code record}.
     *
     * @param record the record as consumed: key and value as bytes, headers, topic, partition and offset
     * @param messageId the id the inbox deduplicates on: the {@value KafkaHeaders#MESSAGE_ID} header, or what the
     *     consumer's {@link MessageIdExtractor} found
     * @throws Exception anything: the transaction rolls back, the record is delivered again after a backoff, and
     *     after the consumer's maximum number of attempts it is dead-lettered
     */
    void handle(ConsumerRecord<byte[], byte[]> record, String messageId) throws Exception;
}
