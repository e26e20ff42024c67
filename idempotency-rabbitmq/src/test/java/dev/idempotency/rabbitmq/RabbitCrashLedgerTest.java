package dev.idempotency.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.testing.ChildJvm;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash ledgers, on PostgreSQL (the child processes share the database with the test): a relay or a consumer
 * killed with SIGKILL at the worst point of its work, then restarted; every message must take effect exactly once.
 * Each round uses {@value #MESSAGES} messages; with {@code -Dfault.duration} the rounds repeat until it has passed.
 */
class RabbitCrashLedgerTest {

    @RegisterExtension
    static final RabbitBroker BROKER = new RabbitBroker();

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    static final int MESSAGES = 2000;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final AtomicInteger processed = new AtomicInteger();
    private final AtomicInteger duplicates = new AtomicInteger();

    @BeforeEach
    void createTable() throws Exception {
        EffectsTable.create(DB.dataSource());
        EffectsTable.clear(DB.dataSource());
    }

    @Test
    @SuppressWarnings("try") // the consumer and relay work while the block waits
    void aRelayKilledAfterPublishingAndBeforeMarkingRepublishesAndEachMessageTakesEffectOnce() throws Exception {
        EffectLedger ledger = new EffectLedger("relay killed (SIGKILL) after publishing, before marking | RabbitMQ "
                + "| PostgreSQL");
        rounds(round -> {
            RabbitBroker.Topology topology = BROKER.topology();
            JdbcOutbox outbox = JdbcOutbox.create(DB.dataSource());
            List<OutboxMessage> messages = enqueue(outbox, topology, ledger);
            int before = duplicates.get();
            try (JdbcInbox inbox = inbox(); RabbitInboxConsumer consumer = consumer(inbox, topology).start()) {
                try (ChildJvm relay = ChildJvm.start("relay-killed-before-marking-" + round, CrashChild.class, List.of(),
                        childArguments(CrashChild.RELAY, topology, MESSAGES / 2), Map.of())) {
                    relay.awaitLine(CrashChild.PUBLISHED_UNMARKED, WAIT);
                    relay.kill();
                }
                ledger.note("killed-relays", 1);
                // Restarted: its leased messages are due again once the dead relay's lease has ended.
                try (RabbitPublisher publisher = RabbitPublisher.builder().uri(BROKER.uri()).build();
                        OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom().batchSize(100)
                                .publishConcurrency(4).leaseDuration(CrashChild.LEASE).build()).start()) {
                    RabbitBroker.await("the outbox relayed", WAIT, () -> outbox.pendingCount() == 0);
                }
                // The restarted relay republished what the killed one had published without marking, and the
                // consumer recognised it.
                awaitSettled(topology, () -> processed.get() >= MESSAGES * (round + 1) && duplicates.get() > before);
            }
            ledger.note("republished-duplicates-recognised", duplicates.get() - before);
            record(ledger, messages);
        });
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    @SuppressWarnings("try") // the consumer and relay work while the block waits
    void aConsumerKilledAfterItsCommitAndBeforeItsAckGetsTheMessagesAgainAndAppliesNoneTwice() throws Exception {
        EffectLedger ledger = new EffectLedger("consumer killed (SIGKILL) after its commit, before its ack | "
                + "RabbitMQ | PostgreSQL");
        rounds(round -> {
            RabbitBroker.Topology topology = BROKER.topology();
            List<OutboxMessage> messages = publishDirectly(topology, ledger);
            int before = duplicates.get();
            try (ChildJvm child = ChildJvm.start("consumer-killed-after-commit-" + round, CrashChild.class, List.of(),
                    childArguments(CrashChild.AFTER_COMMIT, topology, MESSAGES / 2), Map.of())) {
                child.awaitLine(CrashChild.COMMITTED_UNACKED, WAIT);
                child.kill();
            }
            ledger.note("killed-consumers", 1);
            ledger.note("committed-unacked-at-kill", CrashChild.CONCURRENCY);
            long appliedByChild = EffectsTable.total(DB.dataSource());
            try (JdbcInbox inbox = inbox(); RabbitInboxConsumer consumer = consumer(inbox, topology).start()) {
                // The messages committed and not acknowledged came again and were recognised.
                awaitSettled(topology, () -> countEffects() >= MESSAGES * (round + 1L)
                        && duplicates.get() - before >= CrashChild.CONCURRENCY);
            }
            ledger.note("redelivered-duplicates-recognised", duplicates.get() - before);
            assertTrue(appliedByChild > MESSAGES / 2, "the child applied its share before the kill");
            record(ledger, messages);
        });
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    @SuppressWarnings("try") // the consumer and relay work while the block waits
    void aConsumerKilledBeforeItsCommitGetsTheMessagesAgainAndLosesNone() throws Exception {
        EffectLedger ledger = new EffectLedger("consumer killed (SIGKILL) inside its handler, before its commit | "
                + "RabbitMQ | PostgreSQL");
        rounds(round -> {
            RabbitBroker.Topology topology = BROKER.topology();
            List<OutboxMessage> messages = publishDirectly(topology, ledger);
            try (ChildJvm child = ChildJvm.start("consumer-killed-before-commit-" + round, CrashChild.class, List.of(),
                    childArguments(CrashChild.BEFORE_COMMIT, topology, MESSAGES / 2), Map.of())) {
                child.awaitLine(CrashChild.INSIDE_HANDLER, WAIT);
                child.kill();
            }
            ledger.note("killed-consumers", 1);
            ledger.note("uncommitted-at-kill", CrashChild.CONCURRENCY);
            try (JdbcInbox inbox = inbox(); RabbitInboxConsumer consumer = consumer(inbox, topology).start()) {
                awaitSettled(topology, () -> countEffects() >= MESSAGES * (round + 1L));
            }
            record(ledger, messages);
        });
        ledger.printAndAssertExactlyOnce();
    }

    /** One round of a ledger test. */
    @FunctionalInterface
    interface Round {
        void run(int round) throws Exception;
    }

    /** Runs one round, then more while {@code -Dfault.duration} has not passed. */
    static void rounds(Round round) throws Exception {
        Duration duration = FaultSettings.duration(Duration.ZERO);
        long end = System.nanoTime() + duration.toNanos();
        int n = 0;
        do {
            round.run(n++);
        } while (System.nanoTime() < end);
    }

    private List<OutboxMessage> enqueue(JdbcOutbox outbox, RabbitBroker.Topology topology, EffectLedger ledger)
            throws Exception {
        List<OutboxMessage> messages = messages(topology, ledger);
        outbox.inTransaction(() -> {
            messages.forEach(outbox::enqueue);
            return null;
        });
        return messages;
    }

    private List<OutboxMessage> publishDirectly(RabbitBroker.Topology topology, EffectLedger ledger)
            throws Exception {
        List<OutboxMessage> messages = messages(topology, ledger);
        BROKER.publishAll(topology, messages);
        return messages;
    }

    private static List<OutboxMessage> messages(RabbitBroker.Topology topology, EffectLedger ledger) {
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            OutboxMessage message = OutboxMessage.of(topology.destination(), null, ("{\"n\":" + i + "}").getBytes(
                    java.nio.charset.StandardCharsets.UTF_8), List.of());
            ledger.action(message.id());
            messages.add(message);
        }
        return messages;
    }

    private JdbcInbox inbox() {
        return JdbcInbox.builder().dataSource(DB.dataSource()).listener(new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                (event.result() == InboxEvent.Result.PROCESSED ? processed : duplicates).incrementAndGet();
            }
        }).build();
    }

    private static RabbitInboxConsumer consumer(JdbcInbox inbox, RabbitBroker.Topology topology) {
        DataSource db = inbox.transactionalDataSource();
        return RabbitInboxConsumer.builder(inbox).uri(BROKER.uri()).queue(topology.queue()).consumerName("ledger")
                .concurrency(CrashChild.CONCURRENCY).redeliveryDelay(Duration.ofMillis(10))
                .recoveryInterval(Duration.ofMillis(500))
                .handler((messageId, delivery) -> EffectsTable.insert(db, messageId, "test")).build();
    }

    private static List<String> childArguments(String mode, RabbitBroker.Topology topology, int stopAfter) {
        return List.of(mode, DB.jdbcUrl(), DB.user() == null ? "" : DB.user(),
                DB.password() == null ? "" : DB.password(), BROKER.uri(), topology.queue(), String.valueOf(stopAfter));
    }

    /** Waits until {@code done} and the queue and its dead-letter queue are empty. */
    private static void awaitSettled(RabbitBroker.Topology topology, java.util.function.BooleanSupplier done)
            throws Exception {
        RabbitBroker.await("every message applied, the expected duplicates recognised, and the queue drained", WAIT,
                () -> done.getAsBoolean() && ready(topology.queue()) == 0);
        assertEquals(0, BROKER.ready(topology.deadLetterQueue()), "nothing was dead-lettered");
    }

    private static long ready(String queue) {
        try {
            return BROKER.ready(queue);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static long countEffects() {
        try {
            return EffectsTable.total(DB.dataSource());
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** The effects of {@code messages}, read once everything settled (consumers closed). */
    static void record(EffectLedger ledger, List<OutboxMessage> messages) throws Exception {
        Map<String, Integer> effects = EffectsTable.countsById(DB.dataSource());
        for (OutboxMessage message : messages) {
            ledger.effects(message.id(), effects.getOrDefault(message.id(), 0));
        }
    }
}
