package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The publisher against the real broker: what a record carries, and how each failure maps to a result. */
class KafkaOutboxPublisherTest {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static KafkaOutboxPublisher publisher;

    @BeforeAll
    static void createPublisher() {
        publisher = KafkaOutboxPublisher.builder().bootstrapServers(KAFKA.bootstrapServers())
                .timeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void closePublisher() {
        publisher.close();
    }

    @Test
    void aMessageBecomesARecordWithItsKeyPayloadEveryHeaderAndTheMessageIdHeader() throws Exception {
        String topic = KAFKA.createTopic("publisher-record", 3);
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        OutboxMessage message = OutboxMessage.of(topic, "account-7", "{\"post\":42}".getBytes(StandardCharsets.UTF_8),
                List.of(new Header("traceparent", traceparent), new Header("content-type", "application/json"),
                        new Header("Message-Id", "forged")));

        assertEquals(PublishResult.delivered(), publisher.publish(message, 1));

        List<ConsumerRecord<byte[], byte[]>> records = Records.readAll(KAFKA.bootstrapServers(), topic, 1,
                Duration.ofSeconds(30));
        assertEquals(1, records.size());
        ConsumerRecord<byte[], byte[]> record = records.get(0);
        assertEquals("account-7", Records.text(record.key()));
        assertEquals("{\"post\":42}", Records.text(record.value()));
        List<String> headers = new ArrayList<>();
        record.headers().forEach(h -> headers.add(h.key() + "=" + Records.text(h.value())));
        assertEquals(List.of("traceparent=" + traceparent, "content-type=application/json",
                KafkaHeaders.MESSAGE_ID + "=" + message.id()), headers,
                "every header in order, the message's own message-id replaced by the outbox id");
    }

    @Test
    void theMessagesOfOneKeyGoToOnePartitionInTheOrderPublishedAndARepublicationKeepsTheId() throws Exception {
        String topic = KAFKA.createTopic("publisher-order", 4);
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            messages.add(OutboxMessage.of(topic, "order-1", ("step " + i).getBytes(StandardCharsets.UTF_8), List.of()));
        }
        for (OutboxMessage message : messages) {
            assertEquals(PublishResult.delivered(), publisher.publish(message, 1));
        }
        assertEquals(PublishResult.delivered(), publisher.publish(messages.get(0), 2));

        List<ConsumerRecord<byte[], byte[]>> records = Records.readAll(KAFKA.bootstrapServers(), topic, 21,
                Duration.ofSeconds(30));
        assertEquals(21, records.size());
        assertEquals(1, records.stream().map(ConsumerRecord::partition).distinct().count(), "one key, one partition");
        for (int i = 0; i < 20; i++) {
            assertEquals("step " + i, Records.text(records.get(i).value()));
            assertEquals(messages.get(i).id(), Records.header(records.get(i), KafkaHeaders.MESSAGE_ID));
        }
        assertEquals(messages.get(0).id(), Records.header(records.get(20), KafkaHeaders.MESSAGE_ID),
                "a re-publication carries the same id, for the consumer to deduplicate on");
    }

    @Test
    void aMessageWithoutAKeyIsPublishedWithoutOne() throws Exception {
        String topic = KAFKA.createTopic("publisher-nokey", 1);
        assertEquals(PublishResult.delivered(), publisher.publish(OutboxMessage.of(topic, null, new byte[0], List.of()), 1));
        ConsumerRecord<byte[], byte[]> record = Records.readAll(KAFKA.bootstrapServers(), topic, 1,
                Duration.ofSeconds(30)).get(0);
        assertEquals(null, record.key());
        assertEquals(0, record.value().length);
    }

    @Test
    void aDestinationThatIsNotATopicNameIsRejectedWithoutSending() throws Exception {
        PublishResult result = publisher.publish(OutboxMessage.of("https://hooks.example/posts", "k", new byte[1],
                List.of()), 1);
        PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, result);
        assertTrue(rejected.error().contains("is not a Kafka topic name"), rejected.error());
    }

    @Test
    void aTopicThatDoesNotExistIsARetryWithinTheTimeout() throws Exception {
        try (KafkaOutboxPublisher shortTimeout = KafkaOutboxPublisher.builder()
                .bootstrapServers(KAFKA.bootstrapServers()).timeout(Duration.ofSeconds(1)).build()) {
            long start = System.nanoTime();
            PublishResult result = shortTimeout.publish(OutboxMessage.of("no-such-topic", "k", new byte[1], List.of()), 3);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class, result);
            assertTrue(retry.error().contains("no-such-topic") && retry.error().contains("attempt 3"), retry.error());
            // The bound is the timeout, not the producer's defaults (60 s waiting for metadata, 120 s to deliver); a
            // loaded machine may add its scheduling delays to it.
            assertTrue(millis < 5_000, "the attempt ended about the timeout of 1 s, not the producer's default "
                    + "60 s; took " + millis + " ms");
        }
    }

    @Test
    void aRecordLargerThanTheTopicAcceptsIsRejected() throws Exception {
        String topic = "publisher-small-" + System.nanoTime();
        try (Admin admin = KAFKA.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "1024"))))
                    .all().get(60, TimeUnit.SECONDS);
            KafkaBrokerExtension.awaitLeaders(admin, topic, 1);
        }
        PublishResult result = publisher.publish(OutboxMessage.of(topic, "k", new byte[10_000], List.of()), 1);
        PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, result);
        assertTrue(rejected.error().contains("RecordTooLargeException"), rejected.error());
    }

    @Test
    void theBuilderRefusesWhatWouldBreakTheGuaranteesNamingThePropertyAndNeverItsValue() {
        IdempotencyConfigException idempotence = assertThrows(IdempotencyConfigException.class,
                () -> KafkaOutboxPublisher.builder().property("enable.idempotence", false));
        assertTrue(idempotence.getMessage().contains("enable.idempotence"), idempotence.getMessage());
        IdempotencyConfigException acks = assertThrows(IdempotencyConfigException.class,
                () -> KafkaOutboxPublisher.builder().property("acks", "1"));
        assertTrue(acks.getMessage().contains("acks=all"), acks.getMessage());
        IdempotencyConfigException timeout = assertThrows(IdempotencyConfigException.class,
                () -> KafkaOutboxPublisher.builder().property("delivery.timeout.ms", 120_000));
        assertTrue(timeout.getMessage().contains("timeout(...)"), timeout.getMessage());
        IdempotencyConfigException missing = assertThrows(IdempotencyConfigException.class,
                () -> KafkaOutboxPublisher.builder().build());
        assertTrue(missing.getMessage().contains("bootstrapServers"), missing.getMessage());
        IdempotencyConfigException range = assertThrows(IdempotencyConfigException.class,
                () -> KafkaOutboxPublisher.builder().timeout(Duration.ofMinutes(11)));
        assertTrue(range.getMessage().contains("timeout") && range.getMessage().contains("PT11M"), range.getMessage());

        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" "
                + "password=\"s3cret-value\";";
        try (KafkaOutboxPublisher secured = KafkaOutboxPublisher.builder().bootstrapServers(KAFKA.bootstrapServers())
                .property("sasl.jaas.config", jaas).build()) {
            assertFalse(secured.toString().contains("s3cret-value"), secured.toString());
            assertTrue(secured.toString().contains(KAFKA.bootstrapServers()), secured.toString());
        }
        IdempotencyConfigException reserved = assertThrows(IdempotencyConfigException.class,
                () -> KafkaOutboxPublisher.builder().property("transactional.id", "s3cret-value"));
        assertFalse(reserved.getMessage().contains("s3cret-value"), reserved.getMessage());
    }
}
