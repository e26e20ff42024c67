package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer against the real broker and a real database: what it applies, what it refuses, and when it
 * commits. Run on each database by a subclass.
 */
abstract class KafkaInboxConsumerScenarios {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Duration SETTLE = Duration.ofSeconds(60);

    /** The database under test. */
    abstract TestDatabase database();

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<InboxEvent.Result, AtomicLong> inboxResults = new EnumMap<>(InboxEvent.Result.class);
    private JdbcInbox inbox;
    private String group;
    private String deadLetterTopic;

    @BeforeEach
    void createInbox() throws Exception {
        Effects.createTable(database().dataSource());
        for (InboxEvent.Result result : InboxEvent.Result.values()) {
            inboxResults.put(result, new AtomicLong());
        }
        inbox = JdbcInbox.builder().dataSource(database().dataSource()).listener(new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                inboxResults.get(event.result()).incrementAndGet();
            }
        }).build();
        resources.add(inbox);
        group = "group-" + UUID.randomUUID().toString().substring(0, 8);
        deadLetterTopic = KAFKA.createTopic("dead-letter", 1);
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void theRelayAndTheConsumerApplyEveryMessageOnceInKeyOrderAndARepublicationIsADuplicate() throws Exception {
        String topic = KAFKA.createTopic("relay-to-consumer", 4);
        JdbcOutbox outbox = JdbcOutbox.create(database().dataSource());
        KafkaOutboxPublisher publisher = KafkaOutboxPublisher.create(KAFKA.bootstrapServers());
        resources.add(publisher);
        Map<String, List<String>> idsByKey = new LinkedHashMap<>();
        List<OutboxMessage> messages = new ArrayList<>();
        outbox.inTransaction(() -> {
            for (int i = 0; i < 300; i++) {
                String key = "account-" + (i % 10);
                OutboxMessage message = OutboxMessage.of(topic, key, Records.utf8("event " + i), List.of());
                outbox.enqueue(message);
                messages.add(message);
                idsByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(message.id());
            }
            return null;
        });
        OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom().leaseDuration(Duration.ofSeconds(30))
                .build());
        resources.add(relay);
        start(consumer(topic).build());
        while (outbox.pendingCount() > 0) {
            relay.runOnce();
        }
        // What a relay does after a crash between publishing and marking: the same messages again, same ids.
        for (OutboxMessage message : messages.subList(0, 50)) {
            assertEquals(PublishResult.delivered(), publisher.publish(message, 2));
        }

        awaitConsumedToTheEnd(topic, 350);
        Map<String, Integer> counts = Effects.countsByMessageId(database().dataSource(), group);
        assertEquals(300, counts.size(), "every message applied");
        assertTrue(counts.values().stream().allMatch(n -> n == 1), "none applied twice: " + counts);
        assertEquals(300, inboxResults.get(InboxEvent.Result.PROCESSED).get());
        assertEquals(50, inboxResults.get(InboxEvent.Result.DUPLICATE).get(), "the re-published messages");
        for (Map.Entry<String, List<String>> key : idsByKey.entrySet()) {
            assertEquals(key.getValue(), Effects.appliedInOrder(database().dataSource(), group, key.getKey()),
                    "the messages of " + key.getKey() + " applied in the order they were enqueued");
        }
        assertEquals(0, KAFKA.recordCount(deadLetterTopic));
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

    @Test
    void anIdReusedWithAnotherPayloadIsDeadLetteredNotTakenForADuplicate() throws Exception {
        String topic = KAFKA.createTopic("reused", 1);
        try (KafkaProducer<String, byte[]> producer = Records.producer(KAFKA.bootstrapServers())) {
            producer.send(Records.withMessageId(topic, "k", "id-1", "order created"));
            producer.send(Records.withMessageId(topic, "k", "id-1", "order created"));
            producer.send(Records.withMessageId(topic, "k", "id-1", "order cancelled"));
        }
        start(consumer(topic).build());
        awaitConsumedToTheEnd(topic, 3);

        assertEquals(Map.of("id-1", 1), Effects.countsByMessageId(database().dataSource(), group));
        assertEquals(1, inboxResults.get(InboxEvent.Result.DUPLICATE).get());
        assertEquals(1, inboxResults.get(InboxEvent.Result.REUSED).get());
        ConsumerRecord<byte[], byte[]> dead = onlyDeadLetter();
        assertEquals("order cancelled", Records.text(dead.value()));
        assertTrue(Records.header(dead, KafkaHeaders.DEAD_LETTER_REASON).contains("applied before with another payload"));
    }

    @Test
    void anUnavailableDatabaseDelaysTheRecordWithoutCountingAttemptsOrDeadLettering() throws Exception {
        String topic = KAFKA.createTopic("store-down", 1);
        HikariDataSource pool = (HikariDataSource) database().newDataSource(1);
        pool.setConnectionTimeout(250);
        JdbcInbox small = JdbcInbox.builder().dataSource(pool).migrate(false).build();
        resources.add(small);
        KafkaInboxConsumer consumer = KafkaInboxConsumer.builder(small).bootstrapServers(KAFKA.bootstrapServers())
                .groupId(group).topics(topic).deadLetterTopic(deadLetterTopic).maxAttempts(1)
                .retryBackoff(Duration.ofMillis(20))
                .handler((record, messageId) -> Effects.insert(small.transactionalDataSource(), group, messageId, "k"))
                .build();
        try (KafkaProducer<String, byte[]> producer = Records.producer(KAFKA.bootstrapServers())) {
            producer.send(Records.withMessageId(topic, "k", "waits", "payload"));
        }
        try (CapturedLog log = CapturedLog.of(KafkaInboxConsumer.class)) {
            try (Connection held = pool.getConnection()) {
                start(consumer);
                Await.until(SETTLE, () -> log.entries(System.Logger.Level.WARNING).stream()
                        .filter(e -> e.message().contains("not counted as a failed attempt")).count() >= 3,
                        log::toString);
            }
            awaitConsumedToTheEnd(topic, 1);
        }

        assertEquals(Map.of("waits", 1), Effects.countsByMessageId(database().dataSource(), group),
                "applied once the database was back, though maxAttempts is 1");
        assertEquals(0, KAFKA.recordCount(deadLetterTopic));
    }

    @Test
    void aRebalanceHandsPartitionsOverAndEveryMessageIsAppliedOnce() throws Exception {
        String topic = KAFKA.createTopic("rebalance", 4);
        List<String> ids = Records.sendMessages(KAFKA.bootstrapServers(), topic, 600);
        KafkaInboxConsumer first = consumer(topic).build();
        start(first);
        Await.until(SETTLE, () -> Effects.total(database().dataSource(), group) >= 100, () -> "the first consumer");
        KafkaInboxConsumer second = consumer(topic).build();
        start(second);
        Await.until(SETTLE, () -> Effects.total(database().dataSource(), group) >= 300, () -> "both consumers");
        first.close();
        awaitConsumedToTheEnd(topic, 600);

        Map<String, Integer> counts = Effects.countsByMessageId(database().dataSource(), group);
        assertEquals(600, counts.size());
        assertTrue(ids.stream().allMatch(id -> counts.get(id) == 1), "each applied once: " + counts);
    }

    /** A consumer of {@code topic} in this test's group, writing one effect per record. */
    private KafkaInboxConsumer.Builder consumer(String topic) {
        DataSource db = inbox.transactionalDataSource();
        return KafkaInboxConsumer.builder(inbox).bootstrapServers(KAFKA.bootstrapServers()).groupId(group)
                .topics(topic).deadLetterTopic(deadLetterTopic).consumerProperty("max.poll.records", 100)
                .handler((record, messageId) -> Effects.insert(db, group, messageId, Records.text(record.key())));
    }

    private void start(KafkaInboxConsumer consumer) {
        resources.add(consumer);
        consumer.start();
    }

    private void awaitConsumedToTheEnd(String topic, long records) throws Exception {
        Await.until(SETTLE, () -> KAFKA.recordCount(topic) >= records && KAFKA.consumedToTheEnd(group, topic),
                () -> "group " + group + " has not committed every record of " + topic + "; inbox " + inboxResults);
    }

    private ConsumerRecord<byte[], byte[]> onlyDeadLetter() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> dead = Records.readAll(KAFKA.bootstrapServers(), deadLetterTopic, 1,
                Duration.ofSeconds(30));
        assertEquals(1, dead.size());
        assertEquals(1, KAFKA.recordCount(deadLetterTopic), "exactly one record dead-lettered");
        return dead.get(0);
    }
}
