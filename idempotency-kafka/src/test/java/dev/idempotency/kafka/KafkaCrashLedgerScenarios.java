package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.testing.Await;
import dev.idempotency.testing.ChildJvm;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.TestDatabase;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The four crashes of the messaging path, each proven by a ledger it prints: every message enqueued or sent is
 * an action, its effects are its rows in the effects table once everything settled, and the ledger fails unless
 * each action took effect exactly once (0 lost, 0 duplicated). The relay and the consumer that are killed run in
 * JVMs of their own ({@link RelayChild}, {@link ConsumerChild}) and die by SIGKILL; what takes over after them runs
 * in the test's JVM, on the same database, topic and consumer group.
 *
 * <p>{@code -Dfault.duration=10m} repeats each scenario (with fresh topics and groups) until that much time has
 * passed, and the broker restart scenario restarts the broker once per round of messages, alternately after
 * SIGKILL and SIGTERM.
 */
abstract class KafkaCrashLedgerScenarios {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    /** Messages per round. */
    static final int MESSAGES = 1000;
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final Duration KILL_POINT = Duration.ofSeconds(90);

    /** The database under test: one that a child JVM can reach too. */
    abstract TestDatabase database();

    /** Its name, for the ledgers. */
    abstract String databaseName();

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final AtomicLong duplicates = new AtomicLong();
    private JdbcInbox inbox;

    @BeforeEach
    void createTables() throws Exception {
        inbox = JdbcInbox.builder().dataSource(database().dataSource()).listener(new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                if (event.result() == InboxEvent.Result.DUPLICATE) {
                    duplicates.incrementAndGet();
                }
            }
        }).build();
        resources.add(inbox);
        // The outbox's table too, before a child uses it without migrating.
        JdbcOutbox.create(database().dataSource());
        Effects.createTable(database().dataSource());
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void relayKilledAfterPublishingAndBeforeMarkingRepublishesAndEachMessageIsAppliedOnce() throws Exception {
        EffectLedger ledger = new EffectLedger("relay killed (SIGKILL) after publishing, before marking; restarted | "
                + databaseName() + " | Kafka: effect = rows applied by the inbox consumer");
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        do {
            String topic = KAFKA.createTopic("ledger-relay-kill", 4);
            String group = group();
            List<String> ids = enqueue(topic, MESSAGES);
            ids.forEach(ledger::action);
            KafkaInboxConsumer consumer = consumer(group, topic);
            start(consumer);

            try (ChildJvm relay = ChildJvm.start("relay-child", RelayChild.class, List.of("-Xmx256m"),
                    List.of(KAFKA.bootstrapServers(), Integer.toString(MESSAGES / 2)),
                    ChildDatabase.environment(database()))) {
                resources.add(relay);
                relay.awaitLine("KILL-POINT", KILL_POINT);
                relay.kill();
            }
            long publishedBeforeTheKill = KAFKA.recordCount(topic);

            // The restarted relay, with a clock past the killed relay's leases, as any relay would be once they end.
            JdbcOutbox outbox = JdbcOutbox.builder().dataSource(database().dataSource())
                    .clock(Clock.offset(Clock.systemUTC(), Duration.ofHours(1))).migrate(false).build();
            try (KafkaOutboxPublisher publisher = KafkaOutboxPublisher.create(KAFKA.bootstrapServers());
                    OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom().batchSize(100).build())) {
                while (outbox.pendingCount() > 0) {
                    relay.runOnce();
                }
            }
            awaitAllApplied(group, topic, ids);
            long records = KAFKA.recordCount(topic);
            assertTrue(records > MESSAGES, "the restarted relay published again what the killed one had published "
                    + "and not marked: " + records + " records for " + MESSAGES + " messages");
            ledger.note("records-published-before-the-kill", publishedBeforeTheKill);
            ledger.note("records", records);
            ledger.note("republished", records - MESSAGES);
            consumer.close();
            settle(ledger, group);
        } while (System.nanoTime() < until);
        ledger.note("duplicates-skipped-by-the-inbox", duplicates.get());
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    void consumerKilledAfterItsCommitAndBeforeItsOffsetCommitAppliesNothingTwice() throws Exception {
        EffectLedger ledger = new EffectLedger("consumer killed (SIGKILL) after its database commit, before its "
                + "offset commit; restarted | " + databaseName() + " | Kafka: effect = rows applied");
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        do {
            String topic = KAFKA.createTopic("ledger-after-commit", 4);
            String group = group();
            List<String> ids = Records.sendMessages(KAFKA.bootstrapServers(), topic, MESSAGES);
            ids.forEach(ledger::action);
            String held = killConsumerAt(topic, group, "after-commit");
            assertEquals(1, Effects.countsByMessageId(database().dataSource(), group).getOrDefault(held, 0),
                    "the held record's transaction committed before the kill");
            assertFalse(KAFKA.consumedToTheEnd(group, topic), "its offset was not committed");
            ledger.note("applied-before-the-kill", Effects.total(database().dataSource(), group));

            long before = duplicates.get();
            KafkaInboxConsumer consumer = consumer(group, topic);
            start(consumer);
            awaitAllApplied(group, topic, ids);
            consumer.close();
            assertTrue(duplicates.get() > before, "the restarted consumer got records the killed one had applied, and "
                    + "the inbox skipped them");
            settle(ledger, group);
        } while (System.nanoTime() < until);
        ledger.note("redelivered-and-skipped-by-the-inbox", duplicates.get());
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    void consumerKilledBeforeItsCommitLosesNothing() throws Exception {
        EffectLedger ledger = new EffectLedger("consumer killed (SIGKILL) inside the handler, before its database "
                + "commit; restarted | " + databaseName() + " | Kafka: effect = rows applied");
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        do {
            String topic = KAFKA.createTopic("ledger-before-commit", 4);
            String group = group();
            List<String> ids = Records.sendMessages(KAFKA.bootstrapServers(), topic, MESSAGES);
            ids.forEach(ledger::action);
            String held = killConsumerAt(topic, group, "before-commit");
            assertEquals(0, Effects.countsByMessageId(database().dataSource(), group).getOrDefault(held, 0),
                    "the held record's write died with its transaction");
            ledger.note("applied-before-the-kill", Effects.total(database().dataSource(), group));

            KafkaInboxConsumer consumer = consumer(group, topic);
            start(consumer);
            awaitAllApplied(group, topic, ids);
            consumer.close();
            assertEquals(1, Effects.countsByMessageId(database().dataSource(), group).get(held),
                    "the record killed before its commit was applied after the restart");
            settle(ledger, group);
        } while (System.nanoTime() < until);
        ledger.note("redelivered-and-skipped-by-the-inbox", duplicates.get());
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    void brokerRestartedDuringARunLosesNothingAndDuplicatesNothing() throws Exception {
        EffectLedger ledger = new EffectLedger("broker stopped (SIGKILL, in longer runs alternately SIGTERM) and "
                + "restarted on the same ports and log "
                + "directory while the relay publishes and the consumer applies | " + databaseName() + " | Kafka: effect = rows applied");
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        String topic = KAFKA.createTopic("ledger-broker-restart", 4);
        String group = group();
        JdbcOutbox outbox = JdbcOutbox.create(database().dataSource());
        KafkaOutboxPublisher publisher = KafkaOutboxPublisher.builder().bootstrapServers(KAFKA.bootstrapServers())
                .timeout(Duration.ofSeconds(3)).build();
        resources.add(publisher);
        OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom().leaseDuration(Duration.ofSeconds(15))
                .initialBackoff(Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(2)).maxAttempts(1000)
                .pollInterval(Duration.ofMillis(50)).build());
        resources.add(relay);
        start(consumer(group, topic));
        relay.start();
        List<String> ids = new ArrayList<>();
        long restarts = 0;
        do {
            List<String> round = enqueue(topic, MESSAGES);
            round.forEach(ledger::action);
            ids.addAll(round);
            int appliedBefore = ids.size() - round.size();
            long publishedBefore = KAFKA.recordCount(topic);
            // Mid-way: the relay still publishing the round, the consumer still applying it.
            Await.until(SETTLE, () -> KAFKA.recordCount(topic) >= publishedBefore + MESSAGES / 4,
                    () -> "a quarter of the round published before the restart");
            ledger.note("published-before-the-restart", KAFKA.recordCount(topic) - publishedBefore);
            ledger.note("applied-before-the-restart", Effects.total(database().dataSource(), group) - appliedBefore);
            long stoppedAt = System.nanoTime();
            // The first restart, the one every build runs, is a crash; longer runs alternate it with a clean stop.
            boolean graceful = restarts % 2 == 1;
            KAFKA.restart(graceful);
            restarts++;
            ledger.note(graceful ? "restarts-after-sigterm" : "restarts-after-sigkill", 1);
            ledger.note("restart-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
            Await.until(SETTLE, () -> outbox.pendingCount() == 0, () -> outbox.pendingCount() + " messages pending");
            awaitAllApplied(group, topic, ids);
        } while (System.nanoTime() < until);
        long records = KAFKA.recordCount(topic);
        ledger.note("records", records);
        ledger.note("republished", records - ids.size());
        ledger.note("redelivered-or-republished-and-skipped-by-the-inbox", duplicates.get());
        settle(ledger, group);
        ledger.printAndAssertExactlyOnce();
    }

    /** Runs a consumer in a child JVM until it prints its kill point, kills it there, and returns the held id. */
    private String killConsumerAt(String topic, String group, String mode) throws Exception {
        try (ChildJvm consumer = ChildJvm.start("consumer-child-" + mode, ConsumerChild.class, List.of("-Xmx256m"),
                List.of(KAFKA.bootstrapServers(), topic, group, mode, Integer.toString(MESSAGES / 2)),
                ChildDatabase.environment(database()))) {
            resources.add(consumer);
            String line = consumer.awaitLine("KILL-POINT", KILL_POINT);
            consumer.kill();
            return line.substring("KILL-POINT ".length());
        }
    }

    private List<String> enqueue(String topic, int count) throws Exception {
        JdbcOutbox outbox = JdbcOutbox.builder().dataSource(database().dataSource()).migrate(false).build();
        List<String> ids = new ArrayList<>();
        outbox.inTransaction(() -> {
            for (int i = 0; i < count; i++) {
                OutboxMessage message = OutboxMessage.of(topic, "key-" + (i % 50), Records.utf8("event " + i),
                        List.of());
                outbox.enqueue(message);
                ids.add(message.id());
            }
            return null;
        });
        return ids;
    }

    /** A consumer in this JVM: the one that takes over, with the same group and inbox consumer name. */
    private KafkaInboxConsumer consumer(String group, String topic) {
        return KafkaInboxConsumer.builder(inbox).bootstrapServers(KAFKA.bootstrapServers()).groupId(group)
                .topics(topic).retryBackoff(Duration.ofMillis(100))
                .handler((record, messageId) -> Effects.insert(inbox.transactionalDataSource(), group, messageId,
                        Records.text(record.key())))
                .build();
    }

    private void start(KafkaInboxConsumer consumer) {
        resources.add(consumer);
        consumer.start();
    }

    private void awaitAllApplied(String group, String topic, List<String> ids) throws Exception {
        Await.until(SETTLE, () -> Effects.countsByMessageId(database().dataSource(), group).size() >= ids.size()
                && KAFKA.consumedToTheEnd(group, topic), () -> {
                    try {
                        return Effects.countsByMessageId(database().dataSource(), group).size() + " of " + ids.size()
                                + " messages applied by " + group + " on " + topic;
                    } catch (Exception e) {
                        return e.toString();
                    }
                });
    }

    /** Records the effects of every action of {@code group}, and the effects that belong to none. */
    private void settle(EffectLedger ledger, String group) throws Exception {
        Map<String, Integer> counts = Effects.countsByMessageId(database().dataSource(), group);
        for (Map.Entry<String, Integer> effect : counts.entrySet()) {
            if (ledger.isAction(effect.getKey())) {
                ledger.effects(effect.getKey(), effect.getValue());
            } else {
                ledger.unattributed(effect.getValue());
            }
        }
    }

    private static String group() {
        return "ledger-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
