package dev.idempotency.benchmarks.nats;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.Header;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.nats.JetStreamInboxConsumer;
import dev.idempotency.nats.JetStreamPublisher;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Messages per second through the outbox relay to NATS JetStream, and through the {@link JetStreamInboxConsumer}
 * with its inbox, on PostgreSQL, with the method of {@code OutboxRelayThroughput}: each scenario in a fresh schema
 * and a fresh file-backed stream, both dropped afterwards; the messages (200 bytes) enqueued first, in
 * transactions of 500, timed apart; then the relays started and timed until the stream holds every message and
 * none is pending in the outbox; then the consumer started and timed until every message has its effect row
 * (written in the inbox's transaction with its marker) and the JetStream consumer has nothing pending or
 * unacknowledged. PostgreSQL, the NATS server and this JVM share the machine. A first, shorter run warms the JIT
 * and is not reported.
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.idempotency.benchmarks.nats.JetStreamThroughput \
 *     [--jdbc-url jdbc:postgresql://127.0.0.1:5432/test?user=postgres] [--nats-url nats://127.0.0.1:4222] [--messages 20000]
 * </pre>
 */
public final class JetStreamThroughput {

    private static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final String DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
    private static final byte[] PAYLOAD = ("{\"type\":\"post.published\",\"data\":{\"id\":12345,\"account_id\":"
            + "\"acct-42\",\"content\":\"Hello, exactly once. This payload is about two hundred bytes long, "
            + "like a small webhook event.\"}}").getBytes(StandardCharsets.UTF_8);

    /** One configuration to measure: the relays' side and the consumer's. */
    record Scenario(String name, int relays, boolean ordered, int keys, int consumerConcurrency) {
    }

    /** What one scenario measured. */
    record Result(Scenario scenario, int messages, double enqueuePerSecond, double relayPerSecond,
            double consumePerSecond, long streamMessages, long duplicatedEffects) {
    }

    private JetStreamThroughput() {
    }

    /** Runs the scenarios and prints a Markdown table. */
    public static void main(String[] args) throws Exception {
        String jdbcUrl = DEFAULT_JDBC_URL;
        String natsUrl = DEFAULT_NATS_URL;
        int messages = 20_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jdbc-url" -> jdbcUrl = args[++i];
                case "--nats-url" -> natsUrl = args[++i];
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]
                        + "; options: --jdbc-url URL, --nats-url URL, --messages N");
            }
        }
        List<Scenario> scenarios = List.of(
                new Scenario("1 relay, no ordering; consumer 1 thread", 1, false, 0, 1),
                new Scenario("2 relays, no ordering; consumer 8 threads", 2, false, 0, 8),
                new Scenario("2 relays, ordered, 1000 keys; consumer 8 threads", 2, true, 1000, 8),
                new Scenario("2 relays, ordered, 8 keys; consumer 8 threads", 2, true, 8, 8));
        System.out.printf(Locale.ROOT, "Warming up (%d messages)...%n", messages / 4);
        run(jdbcUrl, natsUrl, scenarios.get(1), messages / 4);
        List<Result> results = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            Result result = run(jdbcUrl, natsUrl, scenario, messages);
            results.add(result);
            System.out.printf(Locale.ROOT, "%s: %.0f messages/s relayed, %.0f messages/s consumed%n", scenario.name(),
                    result.relayPerSecond(), result.consumePerSecond());
        }
        System.out.println();
        System.out.println("JetStreamPublisher (5 s timeout), batches of 100, 8 publisher threads per relay; "
                + "JetStreamInboxConsumer batches of 64; " + Runtime.getRuntime().availableProcessors() + " CPUs");
        System.out.println("| Scenario | Messages | Enqueued/s | Relayed/s | Consumed/s (inbox) | In stream | Duplicated effects |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %d | %d |%n", r.scenario().name(),
                    r.messages(), r.enqueuePerSecond(), r.relayPerSecond(), r.consumePerSecond(), r.streamMessages(),
                    r.duplicatedEffects());
        }
    }

    static Result run(String jdbcUrl, String natsUrl, Scenario scenario, int messages) throws Exception {
        String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String schema = "bench_nats_" + suffix;
        String stream = "BENCH_" + suffix;
        execute(jdbcUrl, "CREATE SCHEMA " + schema);
        try (io.nats.client.Connection nats = Nats.connect(natsUrl); HikariDataSource pool = pool(jdbcUrl, schema)) {
            JetStreamManagement jsm = nats.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>")
                    .storageType(StorageType.File).duplicateWindow(Duration.ofMinutes(10)).build());
            jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("bench")
                    .ackPolicy(AckPolicy.Explicit).ackWait(Duration.ofSeconds(30)).maxAckPending(10_000).build());
            try {
                JdbcOutbox outbox = JdbcOutbox.create(pool);
                double enqueuePerSecond = enqueue(outbox, stream + ".posts", scenario, messages);
                double relayPerSecond = relay(outbox, nats, jsm, stream, scenario, messages);
                long inStream = jsm.getStreamInfo(stream).getStreamState().getMsgCount();
                double consumePerSecond = consume(pool, nats, jsm, stream, scenario, messages);
                long duplicated = duplicatedEffects(pool);
                return new Result(scenario, messages, enqueuePerSecond, relayPerSecond, consumePerSecond, inStream,
                        duplicated);
            } finally {
                jsm.deleteStream(stream);
            }
        } finally {
            execute(jdbcUrl, "DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private static double relay(JdbcOutbox outbox, io.nats.client.Connection nats, JetStreamManagement jsm,
            String stream, Scenario scenario, int messages) throws Exception {
        OutboxRelayConfig config = OutboxRelayConfig.custom().batchSize(100).publishConcurrency(8)
                .orderedPerKey(scenario.ordered()).pollInterval(Duration.ofMillis(10)).build();
        List<OutboxRelay> relays = new ArrayList<>();
        long started = System.nanoTime();
        try (JetStreamPublisher publisher = JetStreamPublisher.builder().connection(nats).build()) {
            for (int i = 0; i < scenario.relays(); i++) {
                relays.add(outbox.relay(publisher, config).start());
            }
            long deadline = started + TimeUnit.MINUTES.toNanos(10);
            while ((jsm.getStreamInfo(stream).getStreamState().getMsgCount() < messages || outbox.pendingCount() > 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException("The relays did not publish " + messages + " messages within 10 minutes");
            }
        } finally {
            relays.forEach(OutboxRelay::close);
        }
        return messages / ((System.nanoTime() - started) / 1e9);
    }

    private static double consume(HikariDataSource pool, io.nats.client.Connection nats, JetStreamManagement jsm,
            String stream, Scenario scenario, int messages) throws Exception {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE effects (message_id VARCHAR(255) NOT NULL, payload BYTEA NOT NULL)");
        }
        JdbcInbox inbox = JdbcInbox.builder().dataSource(pool).purgeInterval(Duration.ZERO).build();
        DataSource db = inbox.transactionalDataSource();
        long started = System.nanoTime();
        JetStreamInboxConsumer consumer = JetStreamInboxConsumer.builder().connection(nats).stream(stream)
                .durable("bench").inbox(inbox).concurrency(scenario.consumerConcurrency())
                .fetchWait(Duration.ofMillis(100))
                .handler((message, id) -> {
                    try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO effects (message_id, payload) VALUES (?, ?)")) {
                        insert.setString(1, id);
                        insert.setBytes(2, message.getData());
                        insert.executeUpdate();
                    }
                }).build().start();
        try {
            long deadline = started + TimeUnit.MINUTES.toNanos(10);
            while (System.nanoTime() < deadline) {
                ConsumerInfo info = jsm.getConsumerInfo(stream, "bench");
                if (info.getNumPending() == 0 && info.getNumAckPending() == 0 && effects(pool) >= messages) {
                    break;
                }
                Thread.sleep(5);
            }
            if (System.nanoTime() >= deadline) {
                throw new IllegalStateException("The consumer did not apply " + messages + " messages within 10 minutes");
            }
        } finally {
            consumer.close();
            inbox.close();
        }
        return messages / ((System.nanoTime() - started) / 1e9);
    }

    private static double enqueue(JdbcOutbox outbox, String subject, Scenario scenario, int messages)
            throws Exception {
        List<Header> headers = List.of(new Header("Content-Type", "application/json"));
        long started = System.nanoTime();
        for (int from = 0; from < messages; from += 500) {
            int first = from;
            int to = Math.min(messages, from + 500);
            outbox.inTransaction(() -> {
                for (int i = first; i < to; i++) {
                    String key = scenario.keys() == 0 ? null : "key-" + (i % scenario.keys());
                    outbox.enqueue(OutboxMessage.of(subject, key, PAYLOAD, headers));
                }
                return null;
            });
        }
        return messages / ((System.nanoTime() - started) / 1e9);
    }

    private static long effects(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT COUNT(*) FROM effects")) {
            row.next();
            return row.getLong(1);
        }
    }

    private static long duplicatedEffects(DataSource pool) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT COUNT(*) - COUNT(DISTINCT message_id) FROM effects")) {
            row.next();
            return row.getLong(1);
        }
    }

    private static HikariDataSource pool(String jdbcUrl, String schema) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("nats-bench");
        config.setJdbcUrl(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        config.setMaximumPoolSize(12);
        return new HikariDataSource(config);
    }

    private static void execute(String jdbcUrl, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl); Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }
}
