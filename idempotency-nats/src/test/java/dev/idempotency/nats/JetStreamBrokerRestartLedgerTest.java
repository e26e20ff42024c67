package dev.idempotency.nats;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Ledger (4): the broker is killed (SIGKILL) and restarted on the same port and store while the outbox relay
 * publishes to it and the inbox consumer consumes from it, on PostgreSQL. The server is one of the test's own
 * ({@link NatsServerProcess}), never the shared one. Every message enqueued must have exactly one effect once
 * the server is back and everything has settled. {@code -Dfault.duration=10m} keeps enqueuing and restarting the
 * server until that much time has passed.
 */
class JetStreamBrokerRestartLedgerTest {

    static final int MESSAGES_PER_CYCLE = 2000;
    static final int RESTARTS_PER_CYCLE = 2;
    static final Duration DEADLINE = Duration.ofSeconds(60);

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Test
    void theBrokerKilledAndRestartedDuringARunLosesAndDuplicatesNothing() throws Exception {
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        AtomicLong retries = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<String> lastRetry = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> ids = new ArrayList<>();
        long restarts = 0;
        long cycles = 0;
        try (NatsServerProcess server = NatsServerProcess.start(Path.of("target", "nats-server-restart.log"))) {
            JetStreamExtension nats = JetStreamExtension.on(server.url());
            JdbcInbox inbox = JdbcInbox.builder().dataSource(DB.dataSource()).purgeInterval(Duration.ZERO)
                    .listener(new IdempotencyListener() {
                        @Override
                        public void onInboxMessage(InboxEvent event) {
                            if (event.result() == InboxEvent.Result.DUPLICATE) {
                                duplicates.incrementAndGet();
                            }
                        }
                    }).build();
            JdbcOutbox outbox = JdbcOutbox.create(DB.dataSource());
            try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE nats_effects (message_id VARCHAR(255) NOT NULL, payload VARCHAR(1000) NOT NULL)");
            }
            String stream = nats.createStream("RESTART", Duration.ofMinutes(2));
            String durable = nats.createPullConsumer(stream, "restart", Duration.ofSeconds(2));
            JetStreamPublisher publisher = JetStreamPublisher.builder().url(server.url())
                    .timeout(JetStreamCrashChild.PUBLISH_TIMEOUT).build();
            OutboxPublisher counting = (message, attempt) -> {
                PublishResult result = publisher.publish(message, attempt);
                if (result instanceof PublishResult.Retry retry) {
                    retries.incrementAndGet();
                    lastRetry.set(retry.error());
                }
                return result;
            };
            OutboxRelay relay = outbox.relay(counting, JetStreamCrashChild.relayConfig()).start();
            JetStreamInboxConsumer consumer = consumer(server.url(), stream, durable, inbox);
            try {
                do {
                    cycles++;
                    for (int restart = 0; restart < RESTARTS_PER_CYCLE; restart++) {
                        enqueue(outbox, stream, MESSAGES_PER_CYCLE / (RESTARTS_PER_CYCLE + 1), ids);
                        long retriesBefore = retries.get();
                        server.kill();
                        enqueue(outbox, stream, 50, ids);
                        JetStreamExtension.await(DEADLINE, "the relay felt the outage",
                                () -> retries.get() > retriesBefore);
                        server.startAgain();
                        restarts++;
                    }
                    enqueue(outbox, stream, MESSAGES_PER_CYCLE - RESTARTS_PER_CYCLE
                            * (MESSAGES_PER_CYCLE / (RESTARTS_PER_CYCLE + 1) + 50), ids);
                } while (System.nanoTime() < until);
                JetStreamExtension.await(DEADLINE, () -> "the relay published the whole outbox (pending "
                        + outbox.pendingCount() + ", dead " + outbox.deadLetters(10) + ", retries " + retries.get()
                        + ", last retry: " + lastRetry.get() + ", publisher " + publisher + ")",
                        () -> outbox.pendingCount() == 0);
                JetStreamExtension.await(DEADLINE, "the consumer applied and acknowledged every message",
                        () -> nats.drained(stream, durable) && effectRows() >= ids.size());
            } finally {
                relay.close();
                consumer.close();
                publisher.close();
                inbox.close();
            }
            EffectLedger ledger = new EffectLedger("broker killed (SIGKILL) and restarted during a run | NATS JetStream"
                    + " | PostgreSQL: effect = rows in the consumer's table");
            Map<String, Integer> effects = effectsById();
            for (String id : ids) {
                ledger.action(id);
                ledger.effects(id, effects.getOrDefault(id, 0));
            }
            ledger.unattributed(effects.entrySet().stream().filter(e -> !ledger.isAction(e.getKey()))
                    .mapToLong(Map.Entry::getValue).sum());
            long inStream = nats.messages(stream);
            ledger.note("broker-restarts", restarts);
            ledger.note("publish-retries", retries.get());
            ledger.note("stream-messages", inStream);
            ledger.note("redeliveries-recognised-by-the-inbox", duplicates.get());
            ledger.note("cycles", cycles);
            nats.close();
            ledger.printAndAssertExactlyOnce();
            assertTrue(inStream >= ids.size(), "the stream holds every message");
        }
    }

    private static JetStreamInboxConsumer consumer(String url, String stream, String durable, JdbcInbox inbox) {
        DataSource db = inbox.transactionalDataSource();
        return JetStreamInboxConsumer.builder().url(url).stream(stream).durable(durable).inbox(inbox).concurrency(4)
                .batchSize(32).fetchWait(Duration.ofMillis(200)).timeout(Duration.ofSeconds(1))
                .handler((message, id) -> {
                    try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO nats_effects (message_id, payload) VALUES (?, ?)")) {
                        insert.setString(1, id);
                        insert.setString(2, new String(message.getData(), StandardCharsets.UTF_8));
                        insert.executeUpdate();
                    }
                }).build().start();
    }

    /** Enqueues {@code count} messages, 20 per transaction, as a service writing orders would. */
    private static void enqueue(JdbcOutbox outbox, String stream, int count, List<String> ids) throws Exception {
        for (int start = 0; start < count; start += 20) {
            int last = Math.min(count, start + 20);
            int first = start;
            outbox.inTransaction(() -> {
                for (int i = first; i < last; i++) {
                    OutboxMessage message = new OutboxMessage(UUID.randomUUID().toString(), stream + ".orders",
                            "key-" + (ids.size() % 20), ("{\"n\":" + ids.size() + "}").getBytes(StandardCharsets.UTF_8),
                            List.of(new Header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")),
                            Instant.now());
                    outbox.enqueue(message);
                    ids.add(message.id());
                }
                return null;
            });
        }
    }

    private static long effectRows() {
        try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT COUNT(*) FROM nats_effects")) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Integer> effectsById() throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT message_id, COUNT(*) FROM nats_effects GROUP BY message_id")) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getInt(2));
            }
        }
        return counts;
    }
}
