package dev.idempotency.kafka;

import dev.idempotency.testing.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one JVM of its own, from the
 * {@code org.apache.kafka:kafka_2.13} artifact on the test class path) for the tests of this module.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * ...
 * String topic = KAFKA.createTopic("orders", 4);
 * KafkaOutboxPublisher.create(KAFKA.bootstrapServers());
 * }</pre>
 *
 * <p>One broker serves every test class of the run: the first class that registers the extension starts it,
 * on two free ports of 127.0.0.1 (clients and controller) and a fresh temporary log directory, and it is stopped
 * and its directory deleted when the run ends. {@link #restart(boolean)} stops it and starts it again on the
 * same ports and directory, for the tests of a broker restart. The broker's output goes to
 * {@code target/child-jvm-logs/kafka-broker.log}. A broker that does not come up fails the test with the end of
 * that log; it never skips.
 *
 * <p>Public, and in this module's test-jar, for the examples' tests: the demo's {@code --broker kafka://} round
 * trip runs against this broker rather than a second one.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback {

    private static final Duration START_DEADLINE = Duration.ofSeconds(90);
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(
            KafkaBrokerExtension.class);
    private static Broker shared;

    @Override
    public void beforeAll(ExtensionContext context) {
        synchronized (KafkaBrokerExtension.class) {
            if (shared == null) {
                Broker broker = new Broker();
                broker.start();
                shared = broker;
                // Closed when the whole run ends, after the last test class.
                context.getRoot().getStore(NAMESPACE).put(Broker.class, (AutoCloseable) () -> {
                    synchronized (KafkaBrokerExtension.class) {
                        shared = null;
                    }
                    broker.close();
                });
            }
        }
    }

    /** The broker's address for clients, {@code 127.0.0.1:port}. */
    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /**
     * Creates a topic named {@code prefix} plus a random suffix with {@code partitions} partitions, and returns
     * its name: every test gets topics of its own.
     */
    String createTopic(String prefix, int partitions) {
        String topic = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Admin admin = broker().admin();
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
            awaitLeaders(admin, topic, partitions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted creating topic " + topic, e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Could not create topic " + topic, e);
        }
        return topic;
    }

    /**
     * Waits until the broker leads every partition of a topic just created: a record sent before that may be
     * refused as sent to a non-leader, and retried.
     */
    static void awaitLeaders(Admin admin, String topic, int partitions) throws InterruptedException,
            ExecutionException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                var description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(topic);
                if (description.partitions().size() == partitions
                        && description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The partitions of topic " + topic + " have no leader after 60 s");
            }
            Thread.sleep(50);
        }
    }

    /** An admin client on the broker; the caller closes it. */
    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    /** The records in {@code topic}: the sum of its partitions' end offsets (nothing is ever deleted in tests). */
    long recordCount(String topic) throws Exception {
        return endOffsets(broker().admin(), topic).values().stream().mapToLong(Long::longValue).sum();
    }

    /** Whether {@code group} has committed, for every partition of {@code topic}, the partition's end offset. */
    boolean consumedToTheEnd(String group, String topic) throws Exception {
        Admin admin = broker().admin();
        Map<TopicPartition, Long> ends = endOffsets(admin, topic);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            OffsetAndMetadata offset = committed.get(end.getKey());
            long at = offset == null ? 0 : offset.offset();
            if (at < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stops the broker and starts it again on the same ports and directory: with SIGTERM (a controlled shutdown)
     * when {@code graceful}, else with SIGKILL (a crash: the restarted broker recovers its logs).
     */
    void restart(boolean graceful) throws InterruptedException {
        broker().restart(graceful);
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                .partitions().size();
        Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new java.util.HashMap<>();
        admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    private static Broker broker() {
        synchronized (KafkaBrokerExtension.class) {
            if (shared == null) {
                throw new IllegalStateException("The Kafka broker is not running: register KafkaBrokerExtension with "
                        + "@RegisterExtension in a static field, and use it while the tests run");
            }
            return shared;
        }
    }

    /** The broker's JVM, its ports and its directory. */
    private static final class Broker implements AutoCloseable {

        private final Path directory;
        private final Path logDirectory;
        private final Path properties;
        private final int port;
        private final int controllerPort;
        private final String clusterId = Uuid.randomUuid().toString();
        private ChildJvm jvm;
        private Admin admin;

        Broker() {
            try {
                directory = Files.createTempDirectory("kafka-broker-");
                logDirectory = directory.resolve("logs");
                properties = directory.resolve("server.properties");
                port = freePort();
                controllerPort = freePort();
                Properties config = new Properties();
                config.setProperty("process.roles", "broker,controller");
                config.setProperty("node.id", "1");
                config.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
                config.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:"
                        + controllerPort);
                config.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
                config.setProperty("controller.listener.names", "CONTROLLER");
                config.setProperty("inter.broker.listener.name", "PLAINTEXT");
                config.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
                config.setProperty("log.dirs", logDirectory.toString());
                config.setProperty("auto.create.topics.enable", "false");
                config.setProperty("num.partitions", "1");
                config.setProperty("offsets.topic.replication.factor", "1");
                config.setProperty("offsets.topic.num.partitions", "1");
                config.setProperty("transaction.state.log.replication.factor", "1");
                config.setProperty("transaction.state.log.min.isr", "1");
                config.setProperty("share.coordinator.state.topic.replication.factor", "1");
                config.setProperty("share.coordinator.state.topic.min.isr", "1");
                config.setProperty("group.initial.rebalance.delay.ms", "0");
                // Lets the crash tests' consumers use a short session, so a killed one is noticed in seconds.
                config.setProperty("group.min.session.timeout.ms", "500");
                config.setProperty("controlled.shutdown.enable", "true");
                try (Writer out = Files.newBufferedWriter(properties, StandardCharsets.UTF_8)) {
                    config.store(out, "Single-node KRaft broker for the tests");
                }
            } catch (IOException e) {
                throw new ExtensionConfigurationException("Could not prepare the Kafka broker's directory", e);
            }
        }

        String bootstrapServers() {
            return "127.0.0.1:" + port;
        }

        /** One admin client for the tests' queries, kept across restarts (it reconnects). */
        synchronized Admin admin() {
            if (admin == null) {
                admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
            }
            return admin;
        }

        synchronized void start() {
            jvm = ChildJvm.start("kafka-broker", KafkaBrokerMain.class,
                    List.of("-Xmx768m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"),
                    List.of(properties.toString(), logDirectory.toString(), clusterId), Map.of());
            awaitReady();
        }

        synchronized void restart(boolean graceful) throws InterruptedException {
            if (graceful) {
                stopJvm();
            } else {
                jvm.kill();
            }
            start();
        }

        private void awaitReady() {
            long deadline = System.nanoTime() + START_DEADLINE.toNanos();
            Exception last = null;
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
                while (System.nanoTime() < deadline) {
                    if (!jvm.isAlive()) {
                        throw new ExtensionConfigurationException("The Kafka broker ended while starting"
                                + jvm.logTail());
                    }
                    try {
                        if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
                            return;
                        }
                    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                        last = e;
                    }
                    Thread.sleep(200);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ExtensionConfigurationException("Interrupted waiting for the Kafka broker", e);
            }
            throw new ExtensionConfigurationException("The Kafka broker did not answer within " + START_DEADLINE
                    + (last == null ? "" : " (last error: " + last.getMessage() + ")") + jvm.logTail());
        }

        private void stopJvm() {
            try {
                jvm.stop(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public synchronized void close() {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
            stopJvm();
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException("Could not delete the Kafka broker's directory " + directory, e);
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        }
    }
}
