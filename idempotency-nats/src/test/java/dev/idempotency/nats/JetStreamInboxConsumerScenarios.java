package dev.idempotency.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.testing.CapturedLog;
import dev.idempotency.testing.TestDatabase;
import io.nats.client.JetStream;
import io.nats.client.Message;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link JetStreamInboxConsumer} against the real NATS server and a real database: each message is applied once,
 * acknowledged after the commit, redelivered after a failure, and refused when it has no id. Run on each database
 * by a subclass.
 */
abstract class JetStreamInboxConsumerScenarios {

    static final Duration DEADLINE = Duration.ofSeconds(30);

    @RegisterExtension
    static final JetStreamExtension NATS = JetStreamExtension.create();

    private JdbcInbox inbox;
    private DataSource db;
    private String stream;
    private String durable;
    private JetStreamInboxConsumer consumer;

    /** The database under test. */
    abstract TestDatabase database();

    @BeforeEach
    void createInboxAndStream() throws Exception {
        inbox = JdbcInbox.create(database().dataSource());
        db = inbox.transactionalDataSource();
        try (Connection c = database().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS nats_effects (message_id VARCHAR(255) NOT NULL,"
                    + " payload VARCHAR(1000) NOT NULL)");
            s.execute("DELETE FROM nats_effects");
        }
        stream = NATS.createStream("INBOX", Duration.ofMinutes(2));
        durable = NATS.createPullConsumer(stream, "billing", Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws Exception {
        if (consumer != null) {
            consumer.close();
        }
        inbox.close();
    }

    /** Records the message as an effect in the inbox's transaction. */
    private void recordEffect(Message message, String id) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO nats_effects (message_id, payload) VALUES (?, ?)")) {
            insert.setString(1, id);
            insert.setString(2, new String(message.getData(), StandardCharsets.UTF_8));
            insert.executeUpdate();
        }
    }

    private JetStreamInboxConsumer.Builder consumer(dev.idempotency.nats.JetStreamMessageHandler handler) {
        return JetStreamInboxConsumer.builder().connection(NATS.connection()).stream(stream).durable(durable)
                .inbox(inbox).handler(handler).fetchWait(Duration.ofMillis(200))
                .nakDelay(Duration.ofMillis(100), Duration.ofMillis(400));
    }

    private void publish(String subject, Headers headers, String payload) throws Exception {
        JetStream jetStream = NATS.connection().jetStream();
        jetStream.publish(NatsMessage.builder().subject(subject).headers(headers)
                .data(payload.getBytes(StandardCharsets.UTF_8)).build());
    }

    private static Headers headers(String name, String value) {
        Headers headers = new Headers();
        if (name != null) {
            headers.put(name, value);
        }
        return headers;
    }

    private Map<String, Integer> effects() {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection c = database().dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT message_id, COUNT(*) FROM nats_effects GROUP BY message_id")) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getInt(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return counts;
    }

    @Test
    void appliesEachMessageOnceAndAcknowledgesItEvenWhenTheStreamHoldsCopies() throws Exception {
        // The stream's duplicate window sees only Nats-Msg-Id: copies published without it are all stored, and the
        // inbox, through the extractor's id, is what applies each event once.
        int events = 40;
        for (int copy = 0; copy < 3; copy++) {
            for (int i = 0; i < events; i++) {
                publish(stream + ".events", headers("Event-Id", "event-" + i), "payload-" + i);
            }
        }
        AtomicInteger handled = new AtomicInteger();
        consumer = consumer((message, id) -> {
            handled.incrementAndGet();
            recordEffect(message, id);
        }).messageIdExtractor(message -> message.getHeaders().getFirst("Event-Id")).concurrency(4).build().start();

        JetStreamExtension.await(DEADLINE, "every copy was acknowledged", () -> NATS.drained(stream, durable));
        Map<String, Integer> effects = effects();
        assertEquals(events, effects.size(), effects.toString());
        assertTrue(effects.values().stream().allMatch(n -> n == 1), "one effect per event: " + effects);
        assertEquals(events, handled.get(), "the handler ran once per event, never for a copy");
        assertEquals(3L * events, NATS.messages(stream));
    }

    @Test
    void theOutboxIdInNatsMsgIdIsTheInboxIdAndTheHandlerSeesTheMessage() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        consumer = consumer((message, id) -> {
            seen.put(id, message.getSubject() + " " + new String(message.getData(), StandardCharsets.UTF_8));
            recordEffect(message, id);
        }).build().start();
        String id = UUID.randomUUID().toString();
        publish(stream + ".orders", headers("Nats-Msg-Id", id), "order 1");

        JetStreamExtension.await(DEADLINE, "the message was applied and acknowledged",
                () -> effects().size() == 1 && NATS.drained(stream, durable));
        assertEquals(Map.of(id, stream + ".orders order 1"), seen);
        assertEquals(Map.of(id, 1), effects());
        try (Connection c = database().dataSource().getConnection(); PreparedStatement select = c.prepareStatement(
                "SELECT COUNT(*) FROM " + JdbcInbox.TABLE + " WHERE consumer = ? AND message_id = ?")) {
            select.setString(1, stream + "/" + durable);
            select.setString(2, id);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                assertEquals(1, row.getInt(1), "the marker, under <stream>/<durable>");
            }
        }
    }

    @Test
    void aFailingHandlerCommitsNothingAndTheRedeliveryAppliesTheMessageOnce() throws Exception {
        Set<String> failOnce = ConcurrentHashMap.newKeySet();
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        consumer = consumer((message, id) -> {
            attempts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            recordEffect(message, id);                      // written, then rolled back by the failure
            if (failOnce.add(id)) {
                throw new IllegalStateException("the handler failed on purpose for " + id);
            }
        }).build();
        List<String> ids = List.of("m-1", "m-2", "m-3");
        try (CapturedLog log = CapturedLog.of(JetStreamInboxConsumer.class)) {
            consumer.start();
            for (String id : ids) {
                publish(stream + ".failing", headers("Nats-Msg-Id", id), "p");
            }
            JetStreamExtension.await(DEADLINE, "every message was applied after its redelivery",
                    () -> effects().size() == 3 && NATS.drained(stream, durable));
            assertEquals(3, log.entries(System.Logger.Level.WARNING).size(), log.toString());
            assertTrue(log.entries().get(0).message().contains("comes again in"), log.toString());
        }
        assertEquals(Map.of("m-1", 1, "m-2", 1, "m-3", 1), effects());
        attempts.forEach((id, n) -> assertEquals(2, n.get(), "attempts of " + id));
    }

    @Test
    void aDatabaseFailureLeavesTheMessageUnacknowledgedAndItIsAppliedOnceTheDatabaseWorksAgain()
            throws Exception {
        com.zaxxer.hikari.HikariDataSource brokenPool = (com.zaxxer.hikari.HikariDataSource) database()
                .newDataSource(2);
        JdbcInbox unreachable = JdbcInbox.create(brokenPool);
        brokenPool.close();                                 // every connection now fails
        AtomicInteger handled = new AtomicInteger();
        JetStreamInboxConsumer broken = JetStreamInboxConsumer.builder().connection(NATS.connection()).stream(stream)
                .durable(durable).inbox(unreachable).handler((message, id) -> handled.incrementAndGet())
                .fetchWait(Duration.ofMillis(200)).nakDelay(Duration.ofMillis(100), Duration.ofMillis(200)).build();
        try (CapturedLog log = CapturedLog.of(JetStreamInboxConsumer.class)) {
            broken.start();
            publish(stream + ".db", headers("Nats-Msg-Id", "while-down"), "p");
            JetStreamExtension.await(DEADLINE, "the message failed twice on the closed pool",
                    () -> log.entries(System.Logger.Level.WARNING).size() >= 2);
            broken.close();
            assertTrue(log.entries().get(0).thrown() instanceof dev.idempotency.spi.StoreException,
                    log.toString());
        } finally {
            unreachable.close();
        }
        assertEquals(0, handled.get(), "the handler never ran without its transaction");
        assertEquals(Map.of(), effects());

        consumer = consumer(this::recordEffect).build().start();
        JetStreamExtension.await(DEADLINE, "the message was applied once the database was back",
                () -> effects().size() == 1 && NATS.drained(stream, durable));
        assertEquals(Map.of("while-down", 1), effects());
    }

    @Test
    void aMessageWithoutAnIdIsRefusedAndTerminatedNeverApplied() throws Exception {
        AtomicInteger handled = new AtomicInteger();
        consumer = consumer((message, id) -> {
            handled.incrementAndGet();
            recordEffect(message, id);
        }).build();
        try (CapturedLog log = CapturedLog.of(JetStreamInboxConsumer.class)) {
            consumer.start();
            publish(stream + ".anonymous", headers(null, null), "who am I");
            publish(stream + ".anonymous", headers("Nats-Msg-Id", "after"), "known");
            JetStreamExtension.await(DEADLINE, "both messages were settled",
                    () -> effects().size() == 1 && NATS.drained(stream, durable));
            assertEquals(1, log.entries(System.Logger.Level.WARNING).size(), log.toString());
            String warning = log.entries(System.Logger.Level.WARNING).get(0).message();
            assertTrue(warning.contains("no Nats-Msg-Id header") && warning.contains("terminated")
                    && warning.contains("stream sequence 1"), warning);
        }
        assertEquals(1, handled.get(), "the message without an id never reached the handler");
        assertEquals(Map.of("after", 1), effects());
        assertEquals(0, NATS.consumer(stream, durable).getRedelivered(), "terminated, not redelivered");
    }

    @Test
    void anIdReusedWithAnotherPayloadIsRefusedAndTerminated() throws Exception {
        consumer = consumer(this::recordEffect).messageIdExtractor(m -> m.getHeaders().getFirst("Event-Id")).build();
        try (CapturedLog log = CapturedLog.of(JetStreamInboxConsumer.class)) {
            consumer.start();
            publish(stream + ".reused", headers("Event-Id", "e-1"), "first");
            JetStreamExtension.await(DEADLINE, "the first was applied", () -> effects().size() == 1);
            publish(stream + ".reused", headers("Event-Id", "e-1"), "second, another event under the same id");
            JetStreamExtension.await(DEADLINE, "the second was settled", () -> NATS.drained(stream, durable));
            assertEquals(1, log.entries(System.Logger.Level.WARNING).size(), log.toString());
            assertTrue(log.entries().get(0).message().contains("applied before with another payload"), log.toString());
        }
        assertEquals(Map.of("e-1", 1), effects());
    }

    @Test
    void startRefusesAConsumerThatIsMissingOrDoesNotAcknowledgeExplicitly() throws Exception {
        NATS.management().addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("fire_and_forget")
                .ackPolicy(AckPolicy.None).build());
        JetStreamInboxConsumer noAcks = JetStreamInboxConsumer.builder().connection(NATS.connection()).stream(stream)
                .durable("fire_and_forget").inbox(inbox).handler(this::recordEffect).build();
        IllegalStateException refused = assertThrows(IllegalStateException.class, noAcks::start);
        assertTrue(refused.getMessage().contains("ack policy is none"), refused.getMessage());

        JetStreamInboxConsumer missing = JetStreamInboxConsumer.builder().connection(NATS.connection()).stream(stream)
                .durable("nobody").inbox(inbox).handler(this::recordEffect).build();
        IllegalStateException absent = assertThrows(IllegalStateException.class, missing::start);
        assertTrue(absent.getMessage().contains("'nobody'") && absent.getMessage().contains("Create the stream"),
                absent.getMessage());
    }

    @Test
    void theSettingsAreCheckedWhenSetAndNameTheSetting() {
        JetStreamInboxConsumer.Builder builder = JetStreamInboxConsumer.builder();
        assertEquals("batchSize", assertThrows(IdempotencyConfigException.class, () -> builder.batchSize(0)).setting());
        assertEquals("concurrency", assertThrows(IdempotencyConfigException.class,
                () -> builder.concurrency(65)).setting());
        assertEquals("durable", assertThrows(IdempotencyConfigException.class, () -> builder.durable("a.b")).setting());
        assertEquals("maxNakDelay", assertThrows(IdempotencyConfigException.class,
                () -> builder.nakDelay(Duration.ofSeconds(2), Duration.ofSeconds(1))).setting());
        assertEquals("stream", assertThrows(IdempotencyConfigException.class, builder::build).setting());
    }
}
