package dev.idempotency.rabbitmq;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * The process {@link RabbitCrashLedgerTest} kills with SIGKILL: a relay or a consumer that runs until a chosen
 * point of its work, says so on standard output, and then stands still there until it is killed.
 *
 * <p>Arguments: the mode, the JDBC URL, user and password (empty for none), the broker's URI, the queue, and the
 * number of messages after which it stops. Modes:
 * <ul>
 *   <li>{@value #RELAY}: relays the outbox; after the stop-th publication the broker confirmed, every publication
 *       stands still after its confirm, before the relay marks it ({@value #PUBLISHED_UNMARKED});</li>
 *   <li>{@value #AFTER_COMMIT}: consumes; after the stop-th message applied, every channel stands still after its
 *       next commit, before its ack ({@value #COMMITTED_UNACKED} once every channel does);</li>
 *   <li>{@value #BEFORE_COMMIT}: consumes; after the stop-th message, every channel stands still inside its next
 *       handler, its write made and not committed ({@value #INSIDE_HANDLER} once every channel does).</li>
 * </ul>
 */
final class CrashChild {

    static final String RELAY = "relay";
    static final String AFTER_COMMIT = "consumer-after-commit";
    static final String BEFORE_COMMIT = "consumer-before-commit";
    static final String PUBLISHED_UNMARKED = "PUBLISHED-UNMARKED";
    static final String COMMITTED_UNACKED = "COMMITTED-UNACKED";
    static final String INSIDE_HANDLER = "INSIDE-HANDLER";
    /** Channels of the child's consumer. */
    static final int CONCURRENCY = 4;
    /** The lease of the child's relay: its messages are due again this long after it died. */
    static final Duration LEASE = Duration.ofSeconds(2);

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(args[1]);
        config.setUsername(args[2].isEmpty() ? null : args[2]);
        config.setPassword(args[3].isEmpty() ? null : args[3]);
        config.setMaximumPoolSize(CONCURRENCY + 4);
        DataSource pool = new HikariDataSource(config);
        String uri = args[4];
        String queue = args[5];
        int stopAfter = Integer.parseInt(args[6]);
        switch (mode) {
            case RELAY -> relay(pool, uri, stopAfter);
            case AFTER_COMMIT -> consume(pool, uri, queue, stopAfter, true);
            case BEFORE_COMMIT -> consume(pool, uri, queue, stopAfter, false);
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        // Stands still until killed.
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void relay(DataSource pool, String uri, int stopAfter) {
        JdbcOutbox outbox = JdbcOutbox.create(pool);
        RabbitPublisher publisher = RabbitPublisher.builder().uri(uri).build();
        AtomicInteger confirmed = new AtomicInteger();
        outbox.relay((message, attempt) -> {
            PublishResult result = publisher.publish(message, attempt);
            if (result instanceof PublishResult.Delivered && confirmed.incrementAndGet() >= stopAfter) {
                announce(PUBLISHED_UNMARKED, confirmed.get() == stopAfter);
            }
            return result;
        }, OutboxRelayConfig.custom().batchSize(100).publishConcurrency(4).leaseDuration(LEASE).build()).start();
    }

    private static void consume(DataSource pool, String uri, String queue, int stopAfter, boolean afterCommit) {
        AtomicInteger applied = new AtomicInteger();
        AtomicInteger standing = new AtomicInteger();
        JdbcInbox inbox = JdbcInbox.builder().dataSource(pool).listener(new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                // Called after the commit and before the consumer acknowledges.
                if (afterCommit && event.result() == InboxEvent.Result.PROCESSED
                        && applied.incrementAndGet() > stopAfter) {
                    announce(COMMITTED_UNACKED, standing.incrementAndGet() == CONCURRENCY);
                }
            }
        }).build();
        DataSource db = inbox.transactionalDataSource();
        RabbitInboxConsumer.builder(inbox).uri(uri).queue(queue).consumerName("ledger").concurrency(CONCURRENCY)
                .handler((messageId, delivery) -> {
                    EffectsTable.insert(db, messageId, "child");
                    if (!afterCommit && applied.incrementAndGet() > stopAfter) {
                        announce(INSIDE_HANDLER, standing.incrementAndGet() == CONCURRENCY);
                    }
                }).build().start();
    }

    /** Says {@code line} once, if {@code first}, then stands still on this thread until the process is killed. */
    private static void announce(String line, boolean first) {
        if (first) {
            System.out.println(line);
            System.out.flush();
        }
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
