package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.event.InboxEvent;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scenarios on H2, and what the consumer does whatever the database: a record without an id, an id
 * extractor, a handler that fails for good or for a while.
 */
class H2KafkaInboxConsumerTest extends KafkaInboxConsumerScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }

    @Test
    void aRecordWithoutAMessageIdIsRefusedAndDeadLetteredNeverApplied() throws Exception {
        String topic = KAFKA.createTopic("no-id", 1);
        try (KafkaProducer<String, byte[]> producer = Records.producer(KAFKA.bootstrapServers())) {
            producer.send(Records.withMessageId(topic, "k", "first", "one"));
            producer.send(Records.withMessageId(topic, "k", null, "anonymous"));
            producer.send(Records.withMessageId(topic, "k", "third", "three"));
        }
        try (CapturedLog log = CapturedLog.of(KafkaInboxConsumer.class)) {
            start(consumer(topic).build());
            awaitConsumedToTheEnd(topic, 3);
            assertTrue(log.entries(System.Logger.Level.WARNING).stream()
                    .anyMatch(e -> e.message().contains("has no message-id header")), log.toString());
        }

        assertEquals(Map.of("first", 1, "third", 1), Effects.countsByMessageId(database().dataSource(), group));
        ConsumerRecord<byte[], byte[]> dead = onlyDeadLetter();
        assertEquals("anonymous", Records.text(dead.value()));
        assertEquals("k", Records.text(dead.key()));
        assertTrue(Records.header(dead, KafkaHeaders.DEAD_LETTER_REASON).contains("has no message-id header"),
                Records.header(dead, KafkaHeaders.DEAD_LETTER_REASON));
        assertEquals(topic, Records.header(dead, KafkaHeaders.DEAD_LETTER_TOPIC));
        assertEquals("0", Records.header(dead, KafkaHeaders.DEAD_LETTER_PARTITION));
        assertEquals("1", Records.header(dead, KafkaHeaders.DEAD_LETTER_OFFSET));
        assertEquals("0", Records.header(dead, KafkaHeaders.DEAD_LETTER_ATTEMPTS));
        assertEquals(group, Records.header(dead, KafkaHeaders.DEAD_LETTER_GROUP));
    }

    @Test
    void theExtractorGivesTheIdOfARecordWithoutTheHeaderAndItsRedeliveryIsADuplicate() throws Exception {
        String topic = KAFKA.createTopic("extractor", 1);
        try (KafkaProducer<String, byte[]> producer = Records.producer(KAFKA.bootstrapServers())) {
            for (String eventId : new String[] {"evt-1", "evt-1", null}) {
                RecordHeaders headers = new RecordHeaders();
                if (eventId != null) {
                    headers.add("event-id", Records.utf8(eventId));
                }
                producer.send(new ProducerRecord<>(topic, null, "k", Records.utf8("same payload"), headers));
            }
        }
        start(consumer(topic).messageIdExtractor(record -> Records.header(record, "event-id")).build());
        awaitConsumedToTheEnd(topic, 3);

        assertEquals(Map.of("evt-1", 1), Effects.countsByMessageId(database().dataSource(), group));
        assertEquals(1, inboxResults.get(InboxEvent.Result.DUPLICATE).get());
        assertTrue(Records.header(onlyDeadLetter(), KafkaHeaders.DEAD_LETTER_REASON)
                .contains("the message id extractor found no id"));
    }

    @Test
    void aHandlerThatKeepsFailingIsRetriedThenDeadLetteredAndTheRecordsAfterItAreApplied() throws Exception {
        String topic = KAFKA.createTopic("poison", 1);
        List<String> ids = new ArrayList<>(List.of("poison"));
        try (KafkaProducer<String, byte[]> producer = Records.producer(KAFKA.bootstrapServers())) {
            producer.send(Records.withMessageId(topic, "k", "poison", "bad"));
            for (int i = 0; i < 5; i++) {
                ids.add("after-" + i);
                producer.send(Records.withMessageId(topic, "k", "after-" + i, "good"));
            }
        }
        AtomicInteger poisonAttempts = new AtomicInteger();
        DataSource db = inbox.transactionalDataSource();
        KafkaInboxConsumer consumer = consumer(topic).maxAttempts(3).retryBackoff(Duration.ofMillis(20))
                .handler((record, messageId) -> {
                    Effects.insert(db, group, messageId, Records.text(record.key()));
                    if (messageId.equals("poison")) {
                        poisonAttempts.incrementAndGet();
                        throw new IllegalStateException("cannot apply " + messageId);
                    }
                }).build();
        try (CapturedLog log = CapturedLog.of(KafkaInboxConsumer.class)) {
            start(consumer);
            awaitConsumedToTheEnd(topic, 6);
            assertEquals(3, log.entries(System.Logger.Level.WARNING).stream()
                    .filter(e -> e.message().contains("The handler failed on message poison")).count(), log.toString());
        }

        assertEquals(3, poisonAttempts.get(), "maxAttempts attempts, then the dead-letter topic");
        Map<String, Integer> counts = Effects.countsByMessageId(database().dataSource(), group);
        assertEquals(5, counts.size(), "the failed attempts' writes rolled back: " + counts);
        assertTrue(ids.subList(1, 6).stream().allMatch(id -> counts.get(id) == 1), counts.toString());
        ConsumerRecord<byte[], byte[]> dead = onlyDeadLetter();
        assertEquals("poison", Records.header(dead, KafkaHeaders.MESSAGE_ID));
        assertEquals("3", Records.header(dead, KafkaHeaders.DEAD_LETTER_ATTEMPTS));
        assertTrue(Records.header(dead, KafkaHeaders.DEAD_LETTER_REASON).contains("cannot apply poison"));
        assertEquals(List.of("after-0", "after-1", "after-2", "after-3", "after-4"),
                Effects.appliedInOrder(database().dataSource(), group, "k"), "the partition's order kept");
    }

    @Test
    void aHandlerThatFailsTwiceAppliesTheRecordOnTheThirdDeliveryOnce() throws Exception {
        String topic = KAFKA.createTopic("flaky", 1);
        try (KafkaProducer<String, byte[]> producer = Records.producer(KAFKA.bootstrapServers())) {
            producer.send(Records.withMessageId(topic, "k", "flaky", "payload"));
        }
        AtomicInteger attempts = new AtomicInteger();
        DataSource db = inbox.transactionalDataSource();
        start(consumer(topic).retryBackoff(Duration.ofMillis(20)).handler((record, messageId) -> {
            Effects.insert(db, group, messageId, "k");
            if (attempts.incrementAndGet() <= 2) {
                throw new java.io.IOException("downstream not ready");
            }
        }).build());
        awaitConsumedToTheEnd(topic, 1);

        assertEquals(3, attempts.get());
        assertEquals(Map.of("flaky", 1), Effects.countsByMessageId(database().dataSource(), group));
        assertEquals(0, KAFKA.recordCount(deadLetterTopic));
    }
}
