package dev.idempotency.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.testing.ChildJvm;
import dev.idempotency.testing.EffectLedger;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash ledgers on PostgreSQL, with real processes killed by SIGKILL ({@link JetStreamCrashChild} in a JVM of
 * its own) and the real JetStream server: (1) a relay killed after publishing and before marking, restarted; (2) a
 * consumer killed after its commit and before its ack, restarted; (3) a consumer killed inside its handler, before
 * its commit, restarted. Each prints its ledger; every message must have exactly one effect at the consumer.
 * {@code -Dfault.duration=10m} repeats the crash cycle until that much time has passed.
 */
class JetStreamCrashLedgerTest {

    static final int MESSAGES = 2000;
    static final Duration DEADLINE = Duration.ofSeconds(60);

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @RegisterExtension
    static final JetStreamExtension NATS = JetStreamExtension.create();

    private final List<ChildJvm> children = new ArrayList<>();
    private JdbcInbox inbox;
    private String stream;
    private String durable;
    private String testName;

    @BeforeEach
    void createTablesAndStream(TestInfo test) throws Exception {
        testName = test.getTestMethod().orElseThrow().getName();
        inbox = JdbcInbox.builder().dataSource(DB.dataSource()).purgeInterval(Duration.ZERO).build();
        JdbcOutbox.create(DB.dataSource());
        try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS nats_effects (message_id VARCHAR(255) NOT NULL,"
                    + " payload VARCHAR(1000) NOT NULL)");
            s.execute("DELETE FROM nats_effects");
        }
        stream = NATS.createStream("LEDGER", Duration.ofMinutes(2));
        durable = NATS.createPullConsumer(stream, "ledger", Duration.ofSeconds(2));
    }

    @AfterEach
    void stopChildren() throws Exception {
        for (ChildJvm child : children) {
            child.close();
        }
        inbox.close();
    }

    private ChildJvm child(String... args) throws Exception {
        Map<String, String> environment = new HashMap<>();
        environment.put(JetStreamCrashChild.ENV_JDBC_URL, DB.jdbcUrl());
        if (DB.user() != null) {
            environment.put(JetStreamCrashChild.ENV_JDBC_USER, DB.user());
        }
        if (DB.password() != null) {
            environment.put(JetStreamCrashChild.ENV_JDBC_PASSWORD, DB.password());
        }
        ChildJvm child = ChildJvm.start(testName + "-" + children.size(), JetStreamCrashChild.class, List.of(),
                List.of(args), environment);
        children.add(child);
        return child;
    }

    @Test
    void aRelayKilledAfterPublishingAndBeforeMarkingRepublishesAndEveryMessageIsAppliedOnce() throws Exception {
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        JdbcOutbox outbox = JdbcOutbox.builder().dataSource(DB.dataSource()).migrate(false).build();
        JetStreamInboxConsumer consumer = consumerInThisJvm();
        List<String> ids = new ArrayList<>();
        Map<String, Long> notes = new LinkedHashMap<>();
        long cycles = 0;
        try {
            do {
                cycles++;
                List<String> batch = enqueue(outbox, MESSAGES);
                ids.addAll(batch);
                ChildJvm relay = child("relay", NATS.url(), String.valueOf(MESSAGES / 3));
                relay.awaitLine("PUBLISHED-UNMARKED", DEADLINE);
                relay.kill();
                long pending = outbox.pendingCount();
                long inStream = NATS.messages(stream);
                long publishedUnmarked = inStream - (ids.size() - pending);
                assertTrue(publishedUnmarked > 0, "the kill left published messages unmarked: stream " + inStream
                        + ", marked " + (ids.size() - pending));
                notes.merge("published-unmarked-at-kill", publishedUnmarked, Long::sum);

                ChildJvm restarted = child("relay", NATS.url(), "0");
                JetStreamExtension.await(DEADLINE, "the restarted relay published the whole outbox",
                        () -> outbox.pendingCount() == 0);
                notes.merge("republished-after-restart", restarted.count("REPUBLISHED"), Long::sum);
                restarted.close();
            } while (System.nanoTime() < until);
            JetStreamExtension.await(DEADLINE, "the consumer applied and acknowledged every message",
                    () -> NATS.drained(stream, durable) && effectRows() >= ids.size());
        } finally {
            consumer.close();
        }
        assertEquals(ids.size(), NATS.messages(stream),
                "the duplicate window dropped every republication: one copy per message in the stream");
        notes.put("stream-messages", NATS.messages(stream));
        notes.put("crash-cycles", cycles);
        ledger("relay killed (SIGKILL) after publishing, before marking; restarted | NATS JetStream | PostgreSQL",
                ids, notes);
    }

    @Test
    void aConsumerKilledAfterItsCommitAndBeforeItsAckGetsTheMessageAgainAndAppliesItOnce() throws Exception {
        consumerCrash("after-commit", "COMMITTED",
                "consumer killed (SIGKILL) after its commit, before its ack; restarted | NATS JetStream | PostgreSQL");
    }

    @Test
    void aConsumerKilledBeforeItsCommitAppliesTheMessageAfterTheRedelivery() throws Exception {
        consumerCrash("before-commit", "IN-HANDLER",
                "consumer killed (SIGKILL) inside its handler, before its commit; restarted | NATS JetStream"
                        + " | PostgreSQL");
    }

    private void consumerCrash(String mode, String crashLine, String title) throws Exception {
        long until = System.nanoTime() + FaultSettings.duration(Duration.ZERO).toNanos();
        List<String> ids = new ArrayList<>();
        Map<String, Long> notes = new LinkedHashMap<>();
        long cycles = 0;
        do {
            cycles++;
            List<String> batch = publish(MESSAGES);
            ids.addAll(batch);
            ChildJvm crashing = child("consume", NATS.url(), stream, durable, mode, String.valueOf(MESSAGES / 3));
            String line = crashing.awaitLine(crashLine, DEADLINE);
            long duplicatesBefore = crashing.count("DUPLICATE");
            crashing.kill();
            long committedAtKill = effectRows() - (ids.size() - batch.size());
            if (mode.equals("before-commit")) {
                String killedId = line.substring(crashLine.length()).trim();
                assertEquals(0, effectsOf(killedId), "the killed handler's effect was not committed");
                notes.merge("killed-inside-handler", 1L, Long::sum);
            } else {
                notes.merge("killed-after-commit-before-ack", 1L, Long::sum);
            }
            notes.merge("applied-before-kill", committedAtKill, Long::sum);

            ChildJvm restarted = child("consume", NATS.url(), stream, durable, "none", "0");
            JetStreamExtension.await(DEADLINE, "the restarted consumer applied and acknowledged every message",
                    () -> NATS.drained(stream, durable) && effectRows() >= ids.size());
            long duplicates = restarted.count("DUPLICATE") + duplicatesBefore;
            if (mode.equals("after-commit")) {
                assertTrue(duplicates >= 1, "the message committed and not acknowledged came back as a duplicate");
            }
            notes.merge("redeliveries-recognised-by-the-inbox", duplicates, Long::sum);
            restarted.close();
        } while (System.nanoTime() < until);
        notes.put("crash-cycles", cycles);
        ledger(title, ids, notes);
    }

    private JetStreamInboxConsumer consumerInThisJvm() {
        DataSource db = inbox.transactionalDataSource();
        return JetStreamInboxConsumer.builder().connection(NATS.connection()).stream(stream).durable(durable)
                .inbox(inbox).concurrency(4).batchSize(32).fetchWait(Duration.ofMillis(200))
                .handler((message, id) -> {
                    try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO nats_effects (message_id, payload) VALUES (?, ?)")) {
                        insert.setString(1, id);
                        insert.setString(2, new String(message.getData(), StandardCharsets.UTF_8));
                        insert.executeUpdate();
                    }
                }).build().start();
    }

    private List<String> enqueue(JdbcOutbox outbox, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int start = 0; start < count; start += 500) {
            int first = start;
            int last = Math.min(count, start + 500);
            outbox.inTransaction(() -> {
                for (int i = first; i < last; i++) {
                    OutboxMessage message = message(i);
                    outbox.enqueue(message);
                    ids.add(message.id());
                }
                return null;
            });
        }
        return ids;
    }

    private OutboxMessage message(int i) {
        return new OutboxMessage(UUID.randomUUID().toString(), stream + ".orders", "key-" + (i % 20),
                ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), List.of(new Header("traceparent",
                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")), Instant.now());
    }

    /** Publishes {@code count} messages as the relay would, 8 at a time. */
    private List<String> publish(int count) throws Exception {
        List<String> ids = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try (JetStreamPublisher publisher = JetStreamPublisher.builder().connection(NATS.connection()).build()) {
            List<Future<PublishResult>> results = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                OutboxMessage message = message(i);
                ids.add(message.id());
                results.add(threads.submit(() -> publisher.publish(message, 1)));
            }
            for (Future<PublishResult> result : results) {
                assertEquals(PublishResult.delivered(), result.get());
            }
        } finally {
            threads.shutdown();
        }
        return ids;
    }

    private void ledger(String title, List<String> ids, Map<String, Long> notes) throws SQLException {
        EffectLedger ledger = new EffectLedger(title + ": effect = rows in the consumer's table");
        Map<String, Integer> effects = effectsById();
        for (String id : ids) {
            ledger.action(id);
            ledger.effects(id, effects.getOrDefault(id, 0));
        }
        long unattributed = effects.entrySet().stream().filter(e -> !ledger.isAction(e.getKey()))
                .mapToLong(Map.Entry::getValue).sum();
        ledger.unattributed(unattributed);
        notes.forEach(ledger::note);
        ledger.printAndAssertExactlyOnce();
    }

    private long effectRows() {
        try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT COUNT(*) FROM nats_effects")) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private int effectsOf(String id) throws SQLException {
        try (Connection c = DB.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT COUNT(*) FROM nats_effects WHERE message_id = ?")) {
            s.setString(1, id);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    private Map<String, Integer> effectsById() throws SQLException {
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
