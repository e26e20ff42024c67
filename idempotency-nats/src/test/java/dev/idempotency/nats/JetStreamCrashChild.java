package dev.idempotency.nats;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * The process that {@link JetStreamCrashLedgerTest} kills with SIGKILL: an outbox relay publishing to JetStream,
 * or a {@link JetStreamInboxConsumer}, on the test's PostgreSQL schema. It tells the test where it is through
 * lines on standard output, and stops at the crash point (blocked, never to go on) so that the kill lands exactly
 * there:
 * <ul>
 * <li>{@code relay <natsUrl> <crashAfter>}: after the {@code crashAfter}-th delivered publication (0: never), prints
 * {@code PUBLISHED-UNMARKED} and blocks, so the relay's batch is published and never marked. Prints
 * {@code REPUBLISHED} for every attempt after the first.</li>
 * <li>{@code consume <natsUrl> <stream> <durable> <none|after-commit|before-commit> <crashAt>}: after the
 * {@code crashAt}-th commit, before its ack, prints {@code COMMITTED} and blocks; or inside the
 * {@code crashAt}-th handler, its effect written and not committed, prints {@code IN-HANDLER <id>} and blocks.
 * Prints {@code DUPLICATE} for every delivery the inbox recognised.</li>
 * </ul>
 * The database comes from the environment: {@value #ENV_JDBC_URL}, {@value #ENV_JDBC_USER},
 * {@value #ENV_JDBC_PASSWORD}.
 */
public final class JetStreamCrashChild {

    static final String ENV_JDBC_URL = "CRASH_CHILD_JDBC_URL";
    static final String ENV_JDBC_USER = "CRASH_CHILD_JDBC_USER";
    static final String ENV_JDBC_PASSWORD = "CRASH_CHILD_JDBC_PASSWORD";
    static final Duration LEASE = Duration.ofSeconds(3);
    static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(1);

    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private JetStreamCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(System.getenv(ENV_JDBC_URL));
        config.setUsername(System.getenv(ENV_JDBC_USER));
        config.setPassword(System.getenv(ENV_JDBC_PASSWORD));
        config.setMaximumPoolSize(10);
        config.setPoolName("crash-child");
        HikariDataSource pool = new HikariDataSource(config);
        if (args[0].equals("relay")) {
            relay(pool, args[1], Integer.parseInt(args[2]));
        } else {
            consume(pool, args[1], args[2], args[3], args[4], Integer.parseInt(args[5]));
        }
        OUT.println("READY");
        new CountDownLatch(1).await();
    }

    private static void relay(DataSource pool, String natsUrl, int crashAfter) {
        JdbcOutbox outbox = JdbcOutbox.builder().dataSource(pool).migrate(false).build();
        JetStreamPublisher publisher = JetStreamPublisher.builder().url(natsUrl).timeout(PUBLISH_TIMEOUT).build();
        AtomicInteger delivered = new AtomicInteger();
        OutboxPublisher crashing = (message, attempt) -> {
            if (attempt > 1) {
                OUT.println("REPUBLISHED");
            }
            PublishResult result = publisher.publish(message, attempt);
            if (result instanceof PublishResult.Delivered && delivered.incrementAndGet() == crashAfter) {
                OUT.println("PUBLISHED-UNMARKED");
                blockForever();
            }
            return result;
        };
        OutboxRelay relay = outbox.relay(crashing, relayConfig());
        relay.start();
    }

    /** The relay's settings in the crash tests: a short lease, so a killed relay's messages come back soon. */
    static OutboxRelayConfig relayConfig() {
        return OutboxRelayConfig.custom().leaseDuration(LEASE).batchSize(100).publishConcurrency(8)
                .pollInterval(Duration.ofMillis(50)).initialBackoff(Duration.ofMillis(200))
                .maxBackoff(Duration.ofSeconds(1)).maxAttempts(1000).build();
    }

    private static void consume(DataSource pool, String natsUrl, String stream, String durable, String crashMode,
            int crashAt) {
        AtomicInteger commits = new AtomicInteger();
        IdempotencyListener listener = new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                if (event.result() == InboxEvent.Result.DUPLICATE) {
                    OUT.println("DUPLICATE");
                } else if (event.result() == InboxEvent.Result.PROCESSED && crashMode.equals("after-commit")
                        && commits.incrementAndGet() == crashAt) {
                    OUT.println("COMMITTED");
                    blockForever();
                }
            }
        };
        JdbcInbox inbox = JdbcInbox.builder().dataSource(pool).migrate(false).listener(listener).build();
        DataSource db = inbox.transactionalDataSource();
        AtomicInteger handled = new AtomicInteger();
        JetStreamInboxConsumer.builder().url(natsUrl).stream(stream).durable(durable).inbox(inbox).concurrency(4)
                .batchSize(32).fetchWait(Duration.ofMillis(200))
                .handler((message, id) -> {
                    try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO nats_effects (message_id, payload) VALUES (?, ?)")) {
                        insert.setString(1, id);
                        insert.setString(2, new String(message.getData(), StandardCharsets.UTF_8));
                        insert.executeUpdate();
                    }
                    if (crashMode.equals("before-commit") && handled.incrementAndGet() == crashAt) {
                        OUT.println("IN-HANDLER " + id);
                        blockForever();
                    }
                })
                .build().start();
    }

    private static void blockForever() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
