package dev.idempotency.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
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
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The consumer against the real broker and a real database: each message applied once, acknowledged after the
 * commit, failures redelivered or dead-lettered. Run on each database by a subclass.
 */
abstract class RabbitInboxConsumerScenarios {

    @RegisterExtension
    static final RabbitBroker BROKER = new RabbitBroker();

    static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    /** What the inbox reported in the current test, per result. */
    private static final Map<InboxEvent.Result, AtomicInteger> results = new ConcurrentHashMap<>();
    /** One inbox per test class (each migration check takes a while on a busy machine); each test its own queue. */
    private static JdbcInbox inbox;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RabbitBroker.Topology topology;

    protected abstract TestDatabase database();

    @BeforeEach
    void setUp() throws Exception {
        if (inbox == null) {
            EffectsTable.create(database().dataSource());
            inbox = JdbcInbox.builder().dataSource(database().dataSource()).listener(new IdempotencyListener() {
                @Override
                public void onInboxMessage(InboxEvent event) {
                    results.computeIfAbsent(event.result(), r -> new AtomicInteger()).incrementAndGet();
                }
            }).build();
        }
        EffectsTable.clear(database().dataSource());
        results.clear();
        topology = BROKER.topology();
    }

    @AfterAll
    static void closeInbox() {
        if (inbox != null) {
            inbox.close();
            inbox = null;
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private int results(InboxEvent.Result result) {
        return results.getOrDefault(result, new AtomicInteger()).get();
    }

    private RabbitInboxConsumer.Builder consumer(RabbitInboxHandler handler) {
        return RabbitInboxConsumer.builder(inbox).uri(BROKER.uri()).queue(topology.queue()).consumerName("billing")
                .handler(handler).concurrency(2).redeliveryDelay(Duration.ofMillis(10))
                .recoveryInterval(Duration.ofMillis(200));
    }

    private RabbitInboxConsumer started(RabbitInboxConsumer.Builder builder) {
        RabbitInboxConsumer consumer = builder.build();
        closeables.add(consumer);
        return consumer.start();
    }

    private RabbitPublisher publisher() {
        RabbitPublisher publisher = RabbitPublisher.builder().uri(BROKER.uri()).build();
        closeables.add(publisher);
        return publisher;
    }

    @Test
    void theRelayPublishesThroughTheBrokerAndTheConsumerAppliesEachMessageOnceEvenWhenDeliveredTwice()
            throws Exception {
        DataSource db = inbox.transactionalDataSource();
        started(consumer((messageId, delivery) -> EffectsTable.insert(db, messageId,
                String.valueOf(delivery.getProperties().getHeaders().get("traceparent")))));
        JdbcOutbox outbox = JdbcOutbox.create(database().dataSource());
        List<OutboxMessage> messages = new ArrayList<>();
        outbox.inTransaction(() -> {
            for (int i = 0; i < 200; i++) {
                byte[] payload = ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                // tag::rabbit-enqueue[]
                OutboxMessage message = OutboxMessage.of(
                        RabbitPublisher.destination(topology.exchange(), "event"),   // exchange, routing key
                        "order-" + (i % 10),                                          // the ordering key
                        payload,
                        List.of(new Header("traceparent", TRACEPARENT)));             // carried as AMQP headers
                outbox.enqueue(message);                                              // in the business transaction
                // end::rabbit-enqueue[]
                messages.add(message);
            }
            return null;
        });
        // tag::rabbit-publisher[]
        RabbitPublisher publisher = RabbitPublisher.builder()
                .uri(BROKER.uri())                    // amqp://user:password@host:5672/vhost
                .timeout(Duration.ofSeconds(10))      // each network call, well under the relay's lease
                .maxChannels(8)                       // at least the relay's publishConcurrency
                .build();
        OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom().publishConcurrency(8).build());
        // end::rabbit-publisher[]
        closeables.add(publisher);
        try (relay) {
            while (relay.runOnce() > 0) {
                // until the outbox is empty
            }
        }
        assertEquals(0, outbox.pendingCount());
        // The same 50 messages again, as a relay that died before marking them would publish them.
        for (OutboxMessage message : messages.subList(0, 50)) {
            assertEquals(PublishResult.delivered(), publisher.publish(message, 2));
        }

        RabbitBroker.await("250 deliveries applied or recognised", WAIT,
                () -> results(InboxEvent.Result.PROCESSED) + results(InboxEvent.Result.DUPLICATE) == 250);
        Map<String, Integer> effects = EffectsTable.countsById(database().dataSource());
        for (OutboxMessage message : messages) {
            assertEquals(1, effects.get(message.id()), message.id());
        }
        assertEquals(200, EffectsTable.total(database().dataSource()));
        assertEquals(50, results(InboxEvent.Result.DUPLICATE));
        assertEquals(TRACEPARENT, EffectsTable.detail(database().dataSource(), messages.get(7).id()),
                "the handler sees the trace context the outbox message carried");
        RabbitBroker.await("the queue empty", WAIT, () -> ready(topology.queue()) == 0);
    }

    @Test
    void aHandlerThatThrowsAnExceptionOrAnErrorRollsBackItsWritesAndTheRedeliveryAppliesTheMessageOnce() throws Exception {
        DataSource db = inbox.transactionalDataSource();
        AtomicInteger calls = new AtomicInteger();
        started(consumer((messageId, delivery) -> {
            EffectsTable.insert(db, messageId, "attempt " + calls.incrementAndGet());
            if (calls.get() == 1) {
                throw new IllegalStateException("the handler fails on purpose");
            }
            if (calls.get() == 2) {
                // An Error is a failed attempt too, and the channel goes on consuming.
                throw new AssertionError("the handler fails on purpose");
            }
        }).maxAttempts(5).concurrency(1));
        try (CapturedLog log = CapturedLog.of(RabbitInboxConsumer.class)) {
            OutboxMessage message = OutboxMessage.of(topology.destination(), null, new byte[] {1}, List.of());
            publisher().publish(message, 1);

            RabbitBroker.await("applied", WAIT, () -> results(InboxEvent.Result.PROCESSED) == 1);
            assertEquals(3, calls.get());
            assertEquals(Map.of(message.id(), 1), EffectsTable.countsById(database().dataSource()));
            assertEquals("attempt 3", EffectsTable.detail(database().dataSource(), message.id()),
                    "the failed attempts' writes were rolled back");
            assertEquals(2, log.entries().stream().filter(e -> e.message().contains("given back for redelivery"))
                    .count(), log.toString());
        }
    }

    @Test
    void aMessageWhoseHandlerKeepsFailingIsDeadLetteredAfterTheMaximumAttempts() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        started(consumer((messageId, delivery) -> {
            calls.incrementAndGet();
            throw new IllegalStateException("the handler fails on purpose");
        }).maxAttempts(3));
        try (CapturedLog log = CapturedLog.of(RabbitInboxConsumer.class)) {
            OutboxMessage message = OutboxMessage.of(topology.destination(), null, new byte[] {1}, List.of());
            publisher().publish(message, 1);

            GetResponse dead = awaitDeadLetter();
            assertEquals(message.id(), dead.getProps().getMessageId());
            assertNotNull(dead.getProps().getHeaders().get("x-death"), "dead-lettered by the broker");
            assertEquals(3, calls.get());
            assertEquals(0, EffectsTable.total(database().dataSource()));
            assertTrue(log.entries().stream().anyMatch(e -> e.message().contains("failed 3 times, the maximum")),
                    log.toString());
        }
    }

    @Test
    void onAQuorumQueueTheBrokersDeliveryCountDecidesTheAttemptsAcrossConsumerRestarts() throws Exception {
        topology = BROKER.topology(true);
        AtomicInteger firstCalls = new AtomicInteger();
        RabbitInboxConsumer first = started(consumer((messageId, delivery) -> {
            firstCalls.incrementAndGet();
            throw new IllegalStateException("the handler fails on purpose");
        }).maxAttempts(3).concurrency(1));
        OutboxMessage message = OutboxMessage.of(topology.destination(), null, new byte[] {1}, List.of());
        publisher().publish(message, 1);
        RabbitBroker.await("two failed attempts", WAIT, () -> firstCalls.get() >= 2);
        first.close();
        int failedBefore = firstCalls.get();

        // A new consumer counts nothing in memory yet: the broker's count says this is the last attempt.
        AtomicInteger secondCalls = new AtomicInteger();
        started(consumer((messageId, delivery) -> {
            secondCalls.incrementAndGet();
            throw new IllegalStateException("the handler fails on purpose");
        }).maxAttempts(3).concurrency(1));
        GetResponse dead = awaitDeadLetter();
        assertEquals(message.id(), dead.getProps().getMessageId());
        assertEquals(3, failedBefore + secondCalls.get(), "attempts in all: " + failedBefore + " + "
                + secondCalls.get());
        assertEquals(0, EffectsTable.total(database().dataSource()));
    }

    @Test
    void aMessageWithoutAnIdIsRefusedAndDeadLetteredNeverApplied() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        started(consumer((messageId, delivery) -> calls.incrementAndGet()));
        try (CapturedLog log = CapturedLog.of(RabbitInboxConsumer.class)) {
            BROKER.publishRaw(topology, new AMQP.BasicProperties.Builder().deliveryMode(2).build(), "{}");

            GetResponse dead = awaitDeadLetter();
            assertNull(dead.getProps().getMessageId());
            assertEquals(0, calls.get());
            assertEquals(0, EffectsTable.total(database().dataSource()));
            assertTrue(log.entries().stream().anyMatch(e -> e.message().contains("has no message-id property")),
                    log.toString());
        }
    }

    @Test
    void theExtractorGivesTheIdOfAMessageFromAnotherProducer() throws Exception {
        DataSource db = inbox.transactionalDataSource();
        // tag::rabbit-consumer[]
        RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(inbox)     // a JdbcInbox
                .uri(BROKER.uri())                                            // amqp://user:password@host:5672
                .queue(topology.queue())                                      // declared with a dead-letter exchange
                .consumerName("billing")                                      // the inbox keeps its markers under it
                .handler((messageId, delivery) -> EffectsTable.insert(db, messageId, "applied"))
                .messageIdExtractor(delivery -> {                             // for messages without message-id
                    Object eventId = delivery.getProperties().getHeaders().get("event-id");
                    return eventId == null ? null : eventId.toString();
                })
                .concurrency(2)
                .build()
                .start();
        // end::rabbit-consumer[]
        closeables.add(consumer);
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().deliveryMode(2)
                .headers(Map.of("event-id", "evt-42")).build();
        BROKER.publishRaw(topology, properties, "{\"id\":\"evt-42\"}");
        BROKER.publishRaw(topology, properties, "{\"id\":\"evt-42\"}");

        RabbitBroker.await("both deliveries handled", WAIT,
                () -> results(InboxEvent.Result.PROCESSED) + results(InboxEvent.Result.DUPLICATE) == 2);
        assertEquals(Map.of("evt-42", 1), EffectsTable.countsById(database().dataSource()));
    }

    @Test
    void anIdThatComesBackWithAnotherPayloadIsRefusedAndDeadLettered() throws Exception {
        DataSource db = inbox.transactionalDataSource();
        started(consumer((messageId, delivery) -> EffectsTable.insert(db, messageId,
                new String(delivery.getBody(), StandardCharsets.UTF_8))).concurrency(1));
        try (CapturedLog log = CapturedLog.of(RabbitInboxConsumer.class)) {
            BROKER.publishRaw(topology, new AMQP.BasicProperties.Builder().messageId("evt-7").build(), "first");
            BROKER.publishRaw(topology, new AMQP.BasicProperties.Builder().messageId("evt-7").build(), "second");

            GetResponse dead = awaitDeadLetter();
            assertEquals("second", new String(dead.getBody(), StandardCharsets.UTF_8));
            assertEquals("first", EffectsTable.detail(database().dataSource(), "evt-7"));
            assertEquals(1, results(InboxEvent.Result.REUSED));
            assertTrue(log.entries().stream().anyMatch(e -> e.message().contains("with another payload")),
                    log.toString());
        }
    }

    @Test
    void anUnavailableDatabaseRedeliversTheMessageWithoutCountingAttempts() throws Exception {
        FailingDataSource failing = new FailingDataSource(database().dataSource());
        JdbcInbox flaky = JdbcInbox.builder().dataSource(failing).build();
        closeables.add(flaky);
        AtomicInteger calls = new AtomicInteger();
        RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(flaky).uri(BROKER.uri()).queue(topology.queue())
                .handler((messageId, delivery) -> {
                    calls.incrementAndGet();
                    EffectsTable.insert(flaky.transactionalDataSource(), messageId, "applied");
                })
                .maxAttempts(2).redeliveryDelay(Duration.ofMillis(10)).build();
        closeables.add(consumer);
        try (CapturedLog log = CapturedLog.of(RabbitInboxConsumer.class)) {
            failing.failing.set(true);
            consumer.start();
            OutboxMessage message = OutboxMessage.of(topology.destination(), null, new byte[] {1}, List.of());
            publisher().publish(message, 1);

            RabbitBroker.await("five refusals while the database is away", WAIT, () -> failing.refused.get() >= 5);
            failing.failing.set(false);
            RabbitBroker.await("applied once the database is back", WAIT,
                    () -> count(message.id()) == 1);
            assertEquals(1, calls.get(), "the handler never ran while the database was away");
            assertEquals(0, BROKER.ready(topology.deadLetterQueue()), "not dead-lettered: the outage is no attempt");
            assertTrue(log.entries().stream().anyMatch(e -> e.message().contains("the database is unavailable")),
                    log.toString());
        }
    }

    @Test
    void aQueueThatDoesNotExistIsRefusedAtStartNamingIt() {
        RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(inbox).uri(BROKER.uri())
                .queue(topology.queue() + "-missing").handler((messageId, delivery) -> { }).build();
        closeables.add(consumer);

        IdempotencyConfigException refused = assertThrows(IdempotencyConfigException.class, consumer::start);
        assertEquals("queue", refused.setting());
        assertTrue(refused.getMessage().contains(topology.queue() + "-missing"), refused.getMessage());
    }

    @Test
    void theBuilderRefusesBadSettingsNamingThem() {
        assertEquals("prefetch", assertThrows(IdempotencyConfigException.class,
                () -> RabbitInboxConsumer.builder(inbox).prefetch(0)).setting());
        assertEquals("concurrency", assertThrows(IdempotencyConfigException.class,
                () -> RabbitInboxConsumer.builder(inbox).concurrency(0)).setting());
        assertEquals("maxAttempts", assertThrows(IdempotencyConfigException.class,
                () -> RabbitInboxConsumer.builder(inbox).maxAttempts(0)).setting());
        assertEquals("redeliveryDelay", assertThrows(IdempotencyConfigException.class,
                () -> RabbitInboxConsumer.builder(inbox).redeliveryDelay(Duration.ofSeconds(-1))).setting());
        assertEquals("queue", assertThrows(IdempotencyConfigException.class,
                () -> RabbitInboxConsumer.builder(inbox).uri(BROKER.uri()).build()).setting());
        assertEquals("handler", assertThrows(IdempotencyConfigException.class,
                () -> RabbitInboxConsumer.builder(inbox).uri(BROKER.uri()).queue("q").build()).setting());
        RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(inbox).uri("amqp://app:s3cret-pw@127.0.0.1:1/")
                .queue("q").handler((messageId, delivery) -> { }).timeout(Duration.ofSeconds(2)).build();
        java.io.UncheckedIOException unreachable = assertThrows(java.io.UncheckedIOException.class, consumer::start);
        assertTrue(unreachable.getMessage().contains("amqp://app@127.0.0.1:1/"), unreachable.getMessage());
        assertTrue(!unreachable.getMessage().contains("s3cret-pw") && !consumer.toString().contains("s3cret-pw"));
        consumer.close();
    }

    private long count(String messageId) {
        try {
            return EffectsTable.countsById(database().dataSource()).getOrDefault(messageId, 0);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private static long ready(String queue) {
        try {
            return BROKER.ready(queue);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private GetResponse awaitDeadLetter() throws Exception {
        GetResponse[] dead = new GetResponse[1];
        RabbitBroker.await("a message in the dead-letter queue", WAIT, () -> {
            try {
                dead[0] = BROKER.take(topology.deadLetterQueue());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return dead[0] != null;
        });
        return dead[0];
    }

    /** A pool that refuses connections, as a database that went away does, while {@link #failing} is set. */
    static final class FailingDataSource implements DataSource {

        final AtomicBoolean failing = new AtomicBoolean();
        final AtomicInteger refused = new AtomicInteger();
        private final DataSource pool;

        FailingDataSource(DataSource pool) {
            this.pool = pool;
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (failing.get()) {
                refused.incrementAndGet();
                throw new SQLTransientConnectionException("the database is away (test)", "08001");
            }
            return pool.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            if (type.isInstance(this)) {
                return type.cast(this);
            }
            throw new SQLException("not a wrapper for " + type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return type.isInstance(this);
        }
    }
}
