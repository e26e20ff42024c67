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
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The broker's ledgers, on PostgreSQL: while outbox messages are enqueued (about 1000 a second, at least
 * {@value #MESSAGES}), a relay publishes them and a consumer applies them, the broker is restarted, or every
 * connection to it is cut. Messages are enqueued before, during and after the fault, so the relay publishes and the
 * consumer consumes through it; once the broker is back, every message must have taken effect exactly once. With {@code -Dfault.duration} the rounds repeat until it has passed.
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
        EffectLedger ledger = new EffectLedger("broker restarted mid-run (rabbit:stop(), rabbit:start()) | "
                + "RabbitMQ | PostgreSQL");
        RabbitCrashLedgerTest.rounds(round -> run(ledger, BROKER::restart, true));
        ledger.printAndAssertExactlyOnce();
    }

    @Test
    void everyConnectionCutDuringARunLosesNothingAndDuplicatesNothing() throws Exception {
        EffectLedger ledger = new EffectLedger("every connection cut mid-run (rabbitmqctl close_all_connections) | "
                + "RabbitMQ | PostgreSQL");
        RabbitCrashLedgerTest.rounds(round -> run(ledger, BROKER::closeAllConnections, false));
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

    /**
     * One round: the fault once a quarter of the first {@value #MESSAGES} messages were applied, while more are
     * enqueued; {@code brokerDown} says whether the broker refuses connections for a while, so that the relay must
     * have failed to publish during it.
     */
    @SuppressWarnings("try") // the consumer and relay work while the block waits
    private void run(EffectLedger ledger, Fault fault, boolean brokerDown) throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        AtomicInteger failedPublications = new AtomicInteger();
        JdbcOutbox outbox = JdbcOutbox.create(DB.dataSource());
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
        Feeder feeder = new Feeder(outbox, topology, ledger);
        Thread feeding = new Thread(feeder, "outbox-feeder");
        try (inbox;
                RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(inbox).uri(BROKER.uri())
                        .queue(topology.queue()).consumerName("ledger").concurrency(4)
                        .redeliveryDelay(Duration.ofMillis(10)).recoveryInterval(Duration.ofMillis(500))
                        .handler((messageId, delivery) -> EffectsTable.insert(db, messageId, "applied")).build()
                        .start();
                RabbitPublisher publisher = RabbitPublisher.builder().uri(BROKER.uri())
                        .timeout(Duration.ofSeconds(5)).build();
                OutboxRelay relay = outbox.relay((message, attempt) -> {
                    PublishResult result = publisher.publish(message, attempt);
                    if (!(result instanceof PublishResult.Delivered)) {
                        failedPublications.incrementAndGet();
                    }
                    return result;
                }, relayConfig).start()) {
            feeding.start();
            RabbitBroker.await("a quarter of the messages applied", WAIT,
                    () -> processed.get() - processedBefore >= MESSAGES / 4);
            int appliedBeforeFault = processed.get() - processedBefore;
            int enqueuedAtFault = feeder.enqueued();
            long faultStarted = System.nanoTime();
            fault.inflict();
            ledger.note("fault-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultStarted));
            int enqueuedAtRecovery = feeder.enqueued();
            // Messages enqueued after the broker is back can only arrive through recovered connections.
            feeder.finishAfter(Math.max(MESSAGES, enqueuedAtRecovery + MESSAGES / 10));
            feeding.join(WAIT.toMillis());
            feeder.rethrow();
            assertTrue(enqueuedAtRecovery > enqueuedAtFault, "messages were enqueued during the fault");
            ledger.note("faults", 1);
            ledger.note("applied-before-fault", appliedBeforeFault);
            ledger.note("enqueued-by-recovery", enqueuedAtRecovery);
            long settling = System.nanoTime();
            RabbitBroker.await("the outbox relayed and every message applied", WAIT,
                    () -> outbox.pendingCount() == 0 && processed.get() - processedBefore >= feeder.enqueued()
                            && ready(topology.queue()) == 0);
            ledger.note("settled-ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - settling));
        } finally {
            feeder.finishAfter(0);
            feeding.join(WAIT.toMillis());
        }
        ledger.note("failed-publications", failedPublications.get());
        assertTrue(!brokerDown || failedPublications.get() > 0, "the relay published into the stopped broker");
        ledger.note("duplicates-recognised", duplicates.get() - duplicatesBefore);
        assertTrue(outbox.deadLetters(10).isEmpty(), "no outbox message died: " + outbox.deadLetters(10));
        assertEquals(0, BROKER.ready(topology.deadLetterQueue()), "nothing was dead-lettered by the consumer");
        Map<String, Integer> effects = EffectsTable.countsById(DB.dataSource());
        for (OutboxMessage message : feeder.messages()) {
            ledger.effects(message.id(), effects.getOrDefault(message.id(), 0));
        }
    }

    /**
     * Enqueues outbox messages, {@value #CHUNK} per transaction and about {@value #PER_SECOND} a second, before,
     * during and after the fault (at most three times {@value #MESSAGES} until the fault is over), until
     * {@link #finishAfter} says how many.
     */
    private static final class Feeder implements Runnable {

        static final int CHUNK = 10;
        static final int PER_SECOND = 1000;

        private final JdbcOutbox outbox;
        private final RabbitBroker.Topology topology;
        private final EffectLedger ledger;
        private final List<OutboxMessage> messages = new ArrayList<>();
        /** Enqueues at most this many until {@link #finishAfter} says how many in all. */
        private volatile int target = 3 * MESSAGES;
        private volatile boolean finished;
        private volatile Exception failure;

        Feeder(JdbcOutbox outbox, RabbitBroker.Topology topology, EffectLedger ledger) {
            this.outbox = outbox;
            this.topology = topology;
            this.ledger = ledger;
        }

        @Override
        public void run() {
            long start = System.nanoTime();
            try {
                while (true) {
                    if (enqueued() >= target) {
                        if (finished) {
                            break;
                        }
                        // At the cap while the fault lasts: the broker may take a while to come back.
                        Thread.sleep(10);
                        continue;
                    }
                    List<OutboxMessage> chunk = new ArrayList<>();
                    for (int i = 0; i < CHUNK; i++) {
                        OutboxMessage message = OutboxMessage.of(topology.destination(), null,
                                ("{\"n\":" + (enqueued() + i) + "}").getBytes(StandardCharsets.UTF_8), List.of());
                        ledger.action(message.id());
                        chunk.add(message);
                    }
                    outbox.inTransaction(() -> {
                        chunk.forEach(outbox::enqueue);
                        return null;
                    });
                    synchronized (messages) {
                        messages.addAll(chunk);
                    }
                    // Paced, so that messages are still being enqueued when the fault comes.
                    long due = start + TimeUnit.SECONDS.toNanos(enqueued()) / PER_SECOND;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            } catch (Exception e) {
                failure = e;
            }
        }

        /** Stops once {@code total} messages were enqueued. */
        void finishAfter(int total) {
            target = total;
            finished = true;
        }

        int enqueued() {
            synchronized (messages) {
                return messages.size();
            }
        }

        List<OutboxMessage> messages() {
            synchronized (messages) {
                return List.copyOf(messages);
            }
        }

        void rethrow() throws Exception {
            if (failure != null) {
                throw failure;
            }
        }
    }
}
