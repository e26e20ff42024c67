package dev.idempotency.benchmarks.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.Header;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.rabbitmq.RabbitInboxConsumer;
import dev.idempotency.rabbitmq.RabbitPublisher;
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
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * How many outbox messages per second go from PostgreSQL through the relay to RabbitMQ, and from RabbitMQ through
 * {@link RabbitInboxConsumer} and its inbox into PostgreSQL, measured one after the other.
 *
 * <p>Each scenario runs in a fresh schema and on a fresh durable queue (bound to a fresh exchange), both dropped
 * afterwards. It enqueues the messages (200 bytes each, in transactions of 500), then times the relays from their
 * start until every message is confirmed by the broker and marked (no message pending). With the queue full, it
 * then times the consumer from its start until every message was applied: the handler inserts one row through
 * the inbox's transactional DataSource, so each message costs one transaction with the marker and the row, and
 * an acknowledgement after the commit. The broker, PostgreSQL and this JVM share the machine. A first, shorter
 * run warms the JIT and is not reported.
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.idempotency.benchmarks.rabbitmq.RabbitThroughput \
 *     [--jdbc-url jdbc:postgresql://127.0.0.1:5432/test?user=postgres] [--amqp-uri amqp://guest:guest@127.0.0.1:5672]
 *     [--messages 20000]
 * </pre>
 */
public final class RabbitThroughput {

    private static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final String DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672";
    private static final byte[] PAYLOAD = ("{\"type\":\"post.published\",\"data\":{\"id\":12345,\"account_id\":"
            + "\"acct-42\",\"content\":\"Hello, exactly once. This payload is about two hundred bytes long, "
            + "like a small webhook event.\"}}").getBytes(StandardCharsets.UTF_8);

    /**
     * One configuration to measure.
     *
     * @param relays relays publishing at once, each with its own publisher
     * @param channels each relay's publish concurrency and its publisher's channels
     * @param consumerChannels the consumer's concurrency
     * @param prefetch the consumer's prefetch per channel
     */
    record Scenario(String name, int relays, int channels, int consumerChannels, int prefetch) {
    }

    /** What one scenario measured. */
    record Result(Scenario scenario, int messages, double relayedPerSecond, double consumedPerSecond,
            long duplicates) {
    }

    private RabbitThroughput() {
    }

    /** Runs the scenarios and prints a Markdown table. */
    public static void main(String[] args) throws Exception {
        String jdbcUrl = DEFAULT_JDBC_URL;
        String amqpUri = DEFAULT_AMQP_URI;
        int messages = 20_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jdbc-url" -> jdbcUrl = args[++i];
                case "--amqp-uri" -> amqpUri = args[++i];
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("Unknown option " + args[i]
                        + "; options: --jdbc-url URL, --amqp-uri URI, --messages N");
            }
        }
        List<Scenario> scenarios = List.of(
                new Scenario("1 relay x 8 channels; consumer 1 channel", 1, 8, 1, 32),
                new Scenario("1 relay x 8 channels; consumer 4 channels", 1, 8, 4, 32),
                new Scenario("2 relays x 8 channels; consumer 8 channels", 2, 8, 8, 32));
        System.out.printf(Locale.ROOT, "Warming up (%d messages)...%n", messages / 4);
        run(jdbcUrl, amqpUri, scenarios.get(1), messages / 4);
        List<Result> results = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            Result result = run(jdbcUrl, amqpUri, scenario, messages);
            results.add(result);
            System.out.printf(Locale.ROOT, "%s: %.0f messages/s relayed, %.0f messages/s consumed%n",
                    scenario.name(), result.relayedPerSecond(), result.consumedPerSecond());
        }
        System.out.println();
        System.out.println(Runtime.getRuntime().availableProcessors() + " CPUs");
        System.out.println("| Scenario | Messages | Relayed to RabbitMQ/s | Consumed through the inbox/s | Duplicated effects |");
        System.out.println("|---|--:|--:|--:|--:|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %.0f | %d |%n", r.scenario().name(), r.messages(),
                    r.relayedPerSecond(), r.consumedPerSecond(), r.duplicates());
        }
    }

    static Result run(String jdbcUrl, String amqpUri, Scenario scenario, int messages) throws Exception {
        String name = "bench_rabbit_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        String exchange = name + "-x";
        String queue = name + "-q";
        execute(jdbcUrl, "CREATE SCHEMA " + name);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(amqpUri);
        try (com.rabbitmq.client.Connection admin = factory.newConnection("rabbit-throughput-admin");
                HikariDataSource pool = pool(jdbcUrl, name, scenario.consumerChannels() + 2)) {
            try (Channel channel = admin.createChannel()) {
                channel.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, true);
                channel.queueDeclare(queue, true, false, false, Map.of());
                channel.queueBind(queue, exchange, "event");
            }
            try {
                return measure(amqpUri, scenario, messages, exchange, queue, pool);
            } finally {
                try (Channel channel = admin.createChannel()) {
                    channel.queueDelete(queue);
                    channel.exchangeDelete(exchange);
                }
            }
        } finally {
            execute(jdbcUrl, "DROP SCHEMA " + name + " CASCADE");
        }
    }

    private static Result measure(String amqpUri, Scenario scenario, int messages, String exchange, String queue,
            HikariDataSource pool) throws Exception {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE applied (message_id VARCHAR(255) NOT NULL)");
        }
        JdbcOutbox outbox = JdbcOutbox.create(pool);
        String destination = RabbitPublisher.destination(exchange, "event");
        List<Header> headers = List.of(new Header("content-type", "application/json"));
        for (int from = 0; from < messages; from += 500) {
            int to = Math.min(messages, from + 500);
            int first = from;
            outbox.inTransaction(() -> {
                for (int i = first; i < to; i++) {
                    outbox.enqueue(OutboxMessage.of(destination, null, PAYLOAD, headers));
                }
                return null;
            });
        }

        OutboxRelayConfig config = OutboxRelayConfig.custom().batchSize(100).publishConcurrency(scenario.channels())
                .pollInterval(Duration.ofMillis(10)).build();
        List<RabbitPublisher> publishers = new ArrayList<>();
        List<OutboxRelay> relays = new ArrayList<>();
        long started = System.nanoTime();
        try {
            for (int i = 0; i < scenario.relays(); i++) {
                RabbitPublisher publisher = RabbitPublisher.builder().uri(amqpUri).maxChannels(scenario.channels())
                        .build();
                publishers.add(publisher);
                relays.add(outbox.relay(publisher, config).start());
            }
            awaitUntil("the relays published " + messages + " messages", () -> outbox.pendingCount() == 0);
        } finally {
            relays.forEach(OutboxRelay::close);
            publishers.forEach(RabbitPublisher::close);
        }
        double relayed = messages / ((System.nanoTime() - started) / 1e9);

        AtomicLong applied = new AtomicLong();
        try (JdbcInbox inbox = JdbcInbox.builder().dataSource(pool).listener(new IdempotencyListener() {
            @Override
            public void onInboxMessage(InboxEvent event) {
                applied.incrementAndGet();
            }
        }).build()) {
            DataSource db = inbox.transactionalDataSource();
            long consumerStarted = System.nanoTime();
            try (RabbitInboxConsumer consumer = RabbitInboxConsumer.builder(inbox).uri(amqpUri).queue(queue)
                    .concurrency(scenario.consumerChannels()).prefetch(scenario.prefetch())
                    .handler((messageId, delivery) -> {
                        try (Connection connection = db.getConnection(); PreparedStatement insert =
                                connection.prepareStatement("INSERT INTO applied (message_id) VALUES (?)")) {
                            insert.setString(1, messageId);
                            insert.executeUpdate();
                        }
                    }).build().start()) {
                awaitUntil("the consumer applied " + messages + " messages", () -> applied.get() >= messages);
            }
            double consumed = messages / ((System.nanoTime() - consumerStarted) / 1e9);
            return new Result(scenario, messages, relayed, consumed, duplicatedEffects(pool));
        }
    }

    private static long duplicatedEffects(DataSource pool) throws SQLException {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT COUNT(*) - COUNT(DISTINCT message_id) FROM applied")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Polls {@code condition} every 2 ms for up to 10 minutes. */
    private static void awaitUntil(String what, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Not within 10 minutes: " + what);
            }
            Thread.sleep(2);
        }
    }

    private static HikariDataSource pool(String jdbcUrl, String schema, int size) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("rabbit-bench");
        config.setJdbcUrl(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        config.setMaximumPoolSize(Math.max(10, size));
        return new HikariDataSource(config);
    }

    private static void execute(String jdbcUrl, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl); Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }
}
