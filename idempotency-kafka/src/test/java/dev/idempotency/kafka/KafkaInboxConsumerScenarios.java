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
import dev.idempotency.testing.Await;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer against the real broker and a real database, where the database matters: each message applied
 * once and in key order, a database that is unavailable for a while, a rebalance, an id reused with another
 * payload. Run on each database by a subclass; what the consumer does whatever the database (records without an
 * id, failing handlers) is tested on H2 alone, in {@link H2KafkaInboxConsumerTest}.
 */
abstract class KafkaInboxConsumerScenarios {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Duration SETTLE = Duration.ofSeconds(60);

    /** The database under test. */
    abstract TestDatabase database();

    private final List<AutoCloseable> resources = new ArrayList<>();
    final Map<InboxEvent.Result, AtomicLong> inboxResults = new EnumMap<>(InboxEvent.Result.class);
    JdbcInbox inbox;
    String group;
    String deadLetterTopic;

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
        // A pool of one connection, which the test holds: the inbox waits 250 ms for it, then fails as it would
        // with the database down.
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(database().jdbcUrl());
        pool.setUsername(database().user());
        pool.setPassword(database().password());
        pool.setMaximumPoolSize(1);
        pool.setConnectionTimeout(250);
        resources.add(pool);
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
    void theDocumentedUsageRelaysToKafkaAndAppliesEachMessageOnce() throws Exception {
        String topic = KAFKA.createTopic("posts", 2);
        String bootstrapServers = KAFKA.bootstrapServers();
        DataSource pool = database().dataSource();
        byte[] json = Records.utf8("{\"post\":42}");
        JdbcOutbox outbox = JdbcOutbox.create(pool);
        // tag::kafka-publisher[]
        KafkaOutboxPublisher publisher = KafkaOutboxPublisher.builder()
                .bootstrapServers(bootstrapServers)              // host:port,host:port
                .timeout(Duration.ofSeconds(10))                 // per attempt: well below the relay's lease
                .build();
        OutboxRelay relay = outbox.relay(publisher).start();     // relay.close(), then publisher.close()
        outbox.inTransaction(() -> {                             // with the business change
            outbox.enqueue(OutboxMessage.of(topic, "account-7", json, List.of()));
            return null;                                         // destination = topic, key = record key
        });
        // end::kafka-publisher[]
        resources.add(publisher);
        resources.add(relay);

        // tag::kafka-consumer[]
        DataSource db = inbox.transactionalDataSource();         // the handler writes through this
        KafkaInboxConsumer consumer = KafkaInboxConsumer.builder(inbox)
                .bootstrapServers(bootstrapServers)
                .groupId(group)                                  // also the inbox's consumer name
                .topics(topic)
                .handler((record, messageId) -> {                // inside the inbox's transaction
                    try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO kafka_effects (consumer, message_id, record_key, applied_seq) "
                                    + "VALUES (?, ?, ?, 0)")) {
                        insert.setString(1, group);
                        insert.setString(2, messageId);
                        insert.setString(3, new String(record.key(), StandardCharsets.UTF_8));
                        insert.executeUpdate();                  // commits with the marker, or not at all
                    }
                })
                .build()
                .start();                                        // offsets committed after the commits
        // end::kafka-consumer[]
        resources.add(consumer);

        awaitConsumedToTheEnd(topic, 1);
        assertEquals(1, Effects.total(database().dataSource(), group));
    }

    @Test
    void aRebalanceHandsPartitionsOverAndEveryMessageIsAppliedOnce() throws Exception {
        String topic = KAFKA.createTopic("rebalance", 4);
        List<String> ids = Records.sendMessages(KAFKA.bootstrapServers(), topic, 400);
        KafkaInboxConsumer first = consumer(topic).build();
        start(first);
        Await.until(SETTLE, () -> Effects.total(database().dataSource(), group) >= 100, () -> "the first consumer");
        KafkaInboxConsumer second = consumer(topic).build();
        start(second);
        Await.until(SETTLE, () -> Effects.total(database().dataSource(), group) >= 200, () -> "both consumers");
        first.close();
        awaitConsumedToTheEnd(topic, 400);

        Map<String, Integer> counts = Effects.countsByMessageId(database().dataSource(), group);
        assertEquals(400, counts.size());
        assertTrue(ids.stream().allMatch(id -> counts.get(id) == 1), "each applied once: " + counts);
    }

    /** A consumer of {@code topic} in this test's group, writing one effect per record. */
    KafkaInboxConsumer.Builder consumer(String topic) {
        DataSource db = inbox.transactionalDataSource();
        return KafkaInboxConsumer.builder(inbox).bootstrapServers(KAFKA.bootstrapServers()).groupId(group)
                .topics(topic).deadLetterTopic(deadLetterTopic).consumerProperty("max.poll.records", 100)
                .handler((record, messageId) -> Effects.insert(db, group, messageId, Records.text(record.key())));
    }

    void start(KafkaInboxConsumer consumer) {
        resources.add(consumer);
        consumer.start();
    }

    void awaitConsumedToTheEnd(String topic, long records) throws Exception {
        Await.until(SETTLE, () -> KAFKA.recordCount(topic) >= records && KAFKA.consumedToTheEnd(group, topic),
                () -> "group " + group + " has not committed every record of " + topic + "; inbox " + inboxResults);
    }

    ConsumerRecord<byte[], byte[]> onlyDeadLetter() throws Exception {
        List<ConsumerRecord<byte[], byte[]>> dead = Records.readAll(KAFKA.bootstrapServers(), deadLetterTopic, 1,
                Duration.ofSeconds(30));
        assertEquals(1, dead.size());
        assertEquals(1, KAFKA.recordCount(deadLetterTopic), "exactly one record dead-lettered");
        return dead.get(0);
    }
}
