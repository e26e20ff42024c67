package dev.idempotency.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.event.OutboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.nio.charset.StandardCharsets;
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
 * The broker's ledgers, on PostgreSQL: while a relay publishes {@value #MESSAGES} outbox messages and a consumer
 * applies them, the broker is restarted, or every connection to it is cut. Once it is back, every message must
 * have taken effect exactly once (the consumer applied a quarter before the fault, so it reconnected to apply the
 * rest). With {@code -Dfault.duration} the rounds repeat until it has passed.
 */
class RabbitBrokerFaultLedgerTest {

    @RegisterExtension
    static final RabbitBroker BROKER = new RabbitBroker();

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    static final int MESSAGES = 2000;
    private static final Duration WAIT = Duration.ofSeconds(90);

    private final AtomicInteger processed = new AtomicInteger();
    private final AtomicInteger duplicates = new AtomicInteger();

    @BeforeEach
    void createTable() throws Exception {
        EffectsTable.create(DB.dataSource());
        EffectsTable.clear(DB.dataSource());
    }

    @Test
    void theBrokerRestartedDuringARunLosesNothingAndDuplicatesNothing() throws Exception {
        EffectLedger ledger = new EffectLedger("broker restarted mid-run (rabbitmqctl stop_app, start_app) | "
                + "RabbitMQ | PostgreSQL");
        RabbitCrashLedgerTest.rounds(round -> run(ledger, round, BROKER::restart));
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    void everyConnectionCutDuringARunLosesNothingAndDuplicatesNothing() throws Exception {
        EffectLedger ledger = new EffectLedger("every connection cut mid-run (rabbitmqctl close_all_connections) | "
                + "RabbitMQ | PostgreSQL");
        RabbitCrashLedgerTest.rounds(round -> run(ledger, round, BROKER::closeAllConnections));
        ledger.printAndAssertExactlyOnce();
    }

    private static long ready(String queue) {
        try {
            return BROKER.ready(queue);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** What a round does to the broker while messages flow. */
    @FunctionalInterface
    interface Fault {
        void inflict() throws Exception;
    }

    private void run(EffectLedger ledger, int round, Fault fault) throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        AtomicInteger retried = new AtomicInteger();
        JdbcOutbox outbox = JdbcOutbox.builder().dataSource(DB.dataSource()).listener(new IdempotencyListener() {
            @Override
            public void onOutboxBatch(OutboxEvent event) {
                retried.addAndGet(event.retried());
            }
        }).build();
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            OutboxMessage message = OutboxMessage.of(topology.destination(), null,
                    ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), List.of());
            ledger.action(message.id());
            messages.add(message);
        }
        outbox.inTransaction(() -> {
            messages.forEach(outbox::enqueue);
            return null;
        });
        int processedBefore = processed.get();
        int duplicatesBefore = duplicates.get();
        JdbcInbox inbox = JdbcInbox.builder().dataSource(DB.dataSource()).listener(new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                (event.result() == InboxEvent.Result.PROCESSED ? processed : duplicates).incrementAndGet();
            }
        }).build();
        DataSource db = inbox.transactionalDataSource();
        OutboxRelayConfig relayConfig = OutboxRelayConfig.custom().batchSize(50).publishConcurrency(4)
                .initialBackoff(Duration.ofMillis(200)).maxBackoff(Duration.ofSeconds(1)).maxAttempts(1000)
                .leaseDuration(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).build();
        try (inbox;
                RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(inbox).uri(BROKER.uri())
                        .queue(topology.queue()).consumerName("ledger").concurrency(4)
                        .redeliveryDelay(Duration.ofMillis(10)).recoveryInterval(Duration.ofMillis(500))
                        .handler((messageId, delivery) -> EffectsTable.insert(db, messageId, "applied")).build()
                        .start();
                RabbitPublisher publisher = RabbitPublisher.builder().uri(BROKER.uri())
                        .timeout(Duration.ofSeconds(5)).build();
                OutboxRelay relay = outbox.relay(publisher, relayConfig).start()) {
            RabbitBroker.await("a quarter of the messages applied", WAIT,
                    () -> processed.get() - processedBefore >= MESSAGES / 4);
            long pendingAtFault = outbox.pendingCount();
            int appliedAtFault = processed.get() - processedBefore;
            fault.inflict();
            ledger.note("faults", 1);
            ledger.note("outbox-pending-at-fault", pendingAtFault);
            ledger.note("applied-at-fault", appliedAtFault);
            RabbitBroker.await("the outbox relayed and every message applied", WAIT,
                    () -> outbox.pendingCount() == 0 && processed.get() - processedBefore >= MESSAGES
                            && ready(topology.queue()) == 0);
        }
        ledger.note("relay-retries", retried.get());
        ledger.note("duplicates-recognised", duplicates.get() - duplicatesBefore);
        assertTrue(outbox.deadLetters(10).isEmpty(), "no outbox message died: " + outbox.deadLetters(10));
        assertEquals(0, BROKER.ready(topology.deadLetterQueue()), "nothing was dead-lettered by the consumer");
        Map<String, Integer> effects = EffectsTable.countsById(DB.dataSource());
        for (OutboxMessage message : messages) {
            ledger.effects(message.id(), effects.getOrDefault(message.id(), 0));
        }
    }
}
