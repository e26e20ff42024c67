package dev.idempotency.benchmarks.kafka;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.kafka.KafkaInboxConsumer;
import dev.idempotency.kafka.KafkaOutboxPublisher;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * How many outbox messages per second go through Kafka, on PostgreSQL: relays publishing them with
 * {@link KafkaOutboxPublisher} (claim, publish, wait for the broker's acknowledgement, mark), then
 * {@link KafkaInboxConsumer}s applying them through the inbox (marker and a one-row effect in one transaction
 * each, offsets committed after). The same method as {@code OutboxRelayThroughput}: a fresh schema per
 * scenario, dropped afterwards; the messages (200 bytes) enqueued first, then the relays timed until none is
 * pending; then the consumers started and timed until their group has committed every record. A first,
 * shorter run warms the JIT and is not reported.
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.idempotency.benchmarks.kafka.KafkaThroughput \
 *     --bootstrap-servers 127.0.0.1:9092 [--jdbc-url jdbc:postgresql://127.0.0.1:5432/test?user=postgres] [--messages 20000]
 * </pre>
 *
 * <p>It needs a Kafka broker (4.x) that lets it create topics; each scenario creates one of 8 partitions.
 */
public final class KafkaThroughput {

    private static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final byte[] PAYLOAD = ("{\"type\":\"post.published\",\"data\":{\"id\":12345,\"account_id\":"
            + "\"acct-42\",\"content\":\"Hello, exactly once. This payload is about two hundred bytes long, "
            + "like a small webhook event.\"}}").getBytes(StandardCharsets.UTF_8);
    private static final int PARTITIONS = 8;

    /** One configuration to measure. */
    record Scenario(String name, int relays, boolean ordered, int keys, int consumers) {
    }

    /** What one scenario measured. */
    record Result(Scenario scenario, int messages, double relayPerSecond, double consumePerSecond, long effects) {
    }

    private KafkaThroughput() {
    }

    public static void main(String[] args) throws Exception {
        String jdbcUrl = DEFAULT_JDBC_URL;
        String bootstrapServers = null;
        int messages = 20_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jdbc-url" -> jdbcUrl = args[++i];
                case "--bootstrap-servers" -> bootstrapServers = args[++i];
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]
                        + "; options: --bootstrap-servers HOST:PORT, --jdbc-url URL, --messages N");
            }
        }
        if (bootstrapServers == null) {
            throw new IllegalArgumentException("--bootstrap-servers is required: a Kafka broker to publish to");
        }
        List<Scenario> scenarios = List.of(
                new Scenario("1 relay, ordered, 1000 keys; 1 consumer", 1, true, 1000, 1),
                new Scenario("2 relays, no ordering; 2 consumers", 2, false, 1000, 2),
                new Scenario("2 relays, ordered, 1000 keys; 4 consumers", 2, true, 1000, 4));
        System.out.printf(Locale.ROOT, "Warming up (%d messages)...%n", messages / 4);
        run(jdbcUrl, bootstrapServers, scenarios.get(1), messages / 4);
        List<Result> results = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            Result result = run(jdbcUrl, bootstrapServers, scenario, messages);
            results.add(result);
            System.out.printf(Locale.ROOT, "%s: %.0f messages/s relayed, %.0f messages/s applied%n", scenario.name(),
                    result.relayPerSecond(), result.consumePerSecond());
        }
        System.out.println();
        System.out.println(Runtime.getRuntime().availableProcessors() + " CPUs, topic of " + PARTITIONS
                + " partitions, batches of 100, 8 publisher threads per relay");
        System.out.println("| Scenario | Messages | Relayed/s | Applied/s (inbox) | Effects |");
        System.out.println("|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %d |%n", r.scenario().name(), r.messages(),
                    r.relayPerSecond(), r.consumePerSecond(), r.effects());
        }
    }

    static Result run(String jdbcUrl, String bootstrapServers, Scenario scenario, int messages) throws Exception {
        String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String schema = "bench_kafka_" + suffix;
        String topic = "bench-kafka-" + suffix;
        String group = "bench-" + suffix;
        execute(jdbcUrl, "CREATE SCHEMA " + schema);
        try (HikariDataSource pool = pool(jdbcUrl, schema, 10 + 2 * scenario.consumers());
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
            awaitLeaders(admin, topic);
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE effects (message_id VARCHAR(255) NOT NULL, body_length INT NOT NULL)");
            }
            JdbcOutbox outbox = JdbcOutbox.create(pool);
            enqueue(outbox, topic, scenario, messages);

            double relayPerSecond;
            try (KafkaOutboxPublisher publisher = KafkaOutboxPublisher.create(bootstrapServers)) {
                OutboxRelayConfig config = OutboxRelayConfig.custom().batchSize(100).publishConcurrency(8)
                        .orderedPerKey(scenario.ordered()).pollInterval(Duration.ofMillis(20)).build();
                List<OutboxRelay> relays = new ArrayList<>();
                long started = System.nanoTime();
                for (int i = 0; i < scenario.relays(); i++) {
                    relays.add(outbox.relay(publisher, config).start());
                }
                while (outbox.pendingCount() > 0) {
                    Thread.sleep(10);
                }
                relayPerSecond = messages / ((System.nanoTime() - started) / 1e9);
                relays.forEach(OutboxRelay::close);
            }

            double consumePerSecond;
            try (JdbcInbox inbox = JdbcInbox.builder().dataSource(pool).purgeInterval(Duration.ZERO).build()) {
                DataSource db = inbox.transactionalDataSource();
                List<KafkaInboxConsumer> consumers = new ArrayList<>();
                long started = System.nanoTime();
                for (int i = 0; i < scenario.consumers(); i++) {
                    consumers.add(KafkaInboxConsumer.builder(inbox).bootstrapServers(bootstrapServers).groupId(group)
                            .topics(topic).handler((record, messageId) -> {
                                try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                                        "INSERT INTO effects (message_id, body_length) VALUES (?, ?)")) {
                                    insert.setString(1, messageId);
                                    insert.setInt(2, record.value().length);
                                    insert.executeUpdate();
                                }
                            }).build().start());
                }
                while (!consumedToTheEnd(admin, group, topic)) {
                    Thread.sleep(10);
                }
                consumePerSecond = messages / ((System.nanoTime() - started) / 1e9);
                consumers.forEach(KafkaInboxConsumer::close);
            }
            long effects;
            try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                    ResultSet rows = s.executeQuery("SELECT COUNT(DISTINCT message_id), COUNT(*) FROM effects")) {
                rows.next();
                if (rows.getLong(1) != messages || rows.getLong(2) != messages) {
                    throw new IllegalStateException("Expected " + messages + " effects, one per message, found "
                            + rows.getLong(2) + " for " + rows.getLong(1) + " messages");
                }
                effects = rows.getLong(2);
            }
            admin.deleteTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
            return new Result(scenario, messages, relayPerSecond, consumePerSecond, effects);
        } finally {
            execute(jdbcUrl, "DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private static void enqueue(JdbcOutbox outbox, String topic, Scenario scenario, int messages) throws Exception {
        for (int done = 0; done < messages; done += 500) {
            int from = done;
            outbox.inTransaction(() -> {
                for (int i = from; i < Math.min(from + 500, messages); i++) {
                    outbox.enqueue(OutboxMessage.of(topic, "key-" + (i % scenario.keys()), PAYLOAD, List.of()));
                }
                return null;
            });
        }
    }

    private static boolean consumedToTheEnd(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        for (var end : ends.entrySet()) {
            OffsetAndMetadata at = committed.get(end.getKey());
            if ((at == null ? 0 : at.offset()) < end.getValue().offset()) {
                return false;
            }
        }
        return true;
    }

    private static void awaitLeaders(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                var description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(topic);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // Not known yet: ask again.
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("The partitions of " + topic + " have no leader after 60 s");
    }

    private static HikariDataSource pool(String jdbcUrl, String schema, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("kafka-bench");
        config.setJdbcUrl(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        config.setMaximumPoolSize(size);
        return new HikariDataSource(config);
    }

    private static void execute(String jdbcUrl, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl); Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }
}
