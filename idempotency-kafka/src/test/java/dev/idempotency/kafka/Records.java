package dev.idempotency.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Reading and writing raw records in tests, without a consumer group. */
final class Records {

    private Records() {
    }

    /** Every record of {@code topic}, partition by partition, read from the start until {@code expected} are read. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrapServers, String topic, int expected,
            Duration within) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + within.toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** A producer of raw records, for records the outbox did not write. */
    static KafkaProducer<String, byte[]> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
                // One request at a time: a first batch refused by a partition whose leader is just starting is
                // retried before any later batch, instead of leaving a gap in the producer's sequence that
                // holds it back until the delivery timeout.
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000));
    }

    /** A record with the outbox's message id header, as {@link KafkaOutboxPublisher} writes it. */
    static ProducerRecord<String, byte[]> withMessageId(String topic, String key, String messageId, String value) {
        RecordHeaders headers = new RecordHeaders();
        if (messageId != null) {
            headers.add(KafkaHeaders.MESSAGE_ID, utf8(messageId));
        }
        return new ProducerRecord<>(topic, null, key, utf8(value), headers);
    }

    /** Sends {@code count} records with fresh message ids (their values are the ids) and returns the ids. */
    static List<String> sendMessages(String bootstrapServers, String topic, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = producer(bootstrapServers)) {
            List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String id = "msg-" + i + "-" + UUID.randomUUID();
                ids.add(id);
                sent.add(producer.send(withMessageId(topic, "key-" + (i % 16), id, id)));
            }
            for (java.util.concurrent.Future<?> future : sent) {
                future.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        return ids;
    }

    static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The value of the last header {@code name} of {@code record}, as text, or {@code null}. */
    static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        org.apache.kafka.common.header.Header header = record.headers().lastHeader(name);
        return header == null ? null : text(header.value());
    }
}
