package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.idempotency.kafka.KafkaBrokerExtension;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --broker ... --round-trip} from the shaded jar, as users run it, against the real brokers: RabbitMQ
 * from {@value #RABBITMQ_ENV} and NATS with JetStream from {@value #NATS_ENV} (without them the tests fail, saying
 * how to set them; they never skip), and a Kafka broker the test starts ({@link KafkaBrokerExtension}). Each run checks every printed step, the exit status, that nothing was
 * logged, and that the round trip deleted its temporary database and its broker-side names.
 */
class BrokerRoundTripIT {

    static final String RABBITMQ_ENV = "IDEMPOTENCY_TEST_RABBITMQ_URI";
    static final String NATS_ENV = "IDEMPOTENCY_TEST_NATS_URL";

    private static final String ID = "(msg_[0-9a-f]{32})";

    /**
     * A real single-node Kafka broker (KRaft) in a JVM of its own, started by idempotency-kafka's test extension
     * (from its test-jar): there is no Kafka service to run against.
     */
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path tmp;

    @RegisterExtension
    final DemoStderr stderr = new DemoStderr();

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void destroyProcesses() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theRoundTripThroughRabbitMqRecordsTheEventOnceAndTheInboxDropsTheRepublication() throws Exception {
        String uri = env(RABBITMQ_ENV, "amqp://guest:guest@127.0.0.1:5672");

        List<String> lines = roundTrip(uri, Pattern.quote("RabbitMQ at " + BrokerUri.parse(uri))
                + ", exchange (idempotency-demo-rt-[0-9a-f]{8}), queue \\1\\.post-published", "RabbitMQ",
                "\\(idempotency-demo-rt-[0-9a-f]{8}/post\\.published\\)",
                "delivered again; the inbox recognised it as a duplicate and did not run the handler "
                        + "\\(idempotency_inbox_messages_total\\{result=\"duplicate\"} 0 -> 1\\)",
                "recognised as a duplicate by the inbox\\.");

        String name = name(lines.get(0));
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection connection = factory.newConnection("broker-round-trip-it")) {
            for (String queue : List.of(name + ".post-published", name + ".dead-letter")) {
                Channel channel = connection.createChannel();
                assertThrows(IOException.class, () -> channel.queueDeclarePassive(queue), "queue " + queue
                        + " deleted");
            }
        }
    }

    @Test
    void theRoundTripThroughJetStreamRecordsTheEventOnceAndTheStreamDropsTheRepublication() throws Exception {
        String url = env(NATS_ENV, "nats://127.0.0.1:4222");

        List<String> lines = roundTrip(url, Pattern.quote("NATS JetStream at " + BrokerUri.parse(url))
                + ", stream (idempotency-demo-rt-[0-9a-f]{8}), subject \\1\\.post\\.published, consumer publishing-demo",
                "NATS JetStream", "\\(idempotency-demo-rt-[0-9a-f]{8}\\.post\\.published\\)",
                "dropped by JetStream as a duplicate \\(Nats-Msg-Id within the stream's duplicate window\\), never "
                        + "delivered",
                "dropped by the broker\\.");

        String stream = name(lines.get(0));
        try (io.nats.client.Connection nats = Nats.connect(url)) {
            JetStreamApiException missing = assertThrows(JetStreamApiException.class,
                    () -> nats.jetStreamManagement().getStreamInfo(stream), "stream " + stream + " deleted");
            assertEquals(10059, missing.getApiErrorCode(), missing.getMessage());
        }
    }

    @Test
    void theRoundTripThroughKafkaRecordsTheEventOnceAndTheInboxDropsTheRepublication() throws Exception {
        String uri = "kafka://" + KAFKA.bootstrapServers();

        List<String> lines = roundTrip(uri, Pattern.quote("Kafka at " + uri)
                + ", topic (idempotency-demo-rt-[0-9a-f]{8})\\.post-published, consumer group \\1", "Kafka",
                "\\(idempotency-demo-rt-[0-9a-f]{8}\\.post-published\\)",
                "delivered again; the inbox recognised it as a duplicate and did not run the handler "
                        + "\\(idempotency_inbox_messages_total\\{result=\"duplicate\"} 0 -> 1\\)",
                "recognised as a duplicate by the inbox\\.");

        String name = name(lines.get(0));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers()))) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertFalse(topics.contains(name + ".post-published") || topics.contains(name + ".dead-letter"),
                    "the round trip's topics are deleted: " + topics);
        }
    }

    @Test
    void aBrokerUriThatCannotBeReadExitsWithStatusTwoNamingTheOptionWithoutThePassword() throws Exception {
        Process process = java("--broker", "amqp://guest:hunter2@127.0.0.1", "--round-trip");

        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr.text();
        assertTrue(err.contains("Invalid value 'amqp://guest:***@127.0.0.1' for --broker: expected amqp://"), err);
        assertTrue(err.contains("Usage:"), err);
        assertFalse(err.contains("hunter2"), err);
    }

    @Test
    void aBrokerThatDoesNotAnswerFailsTheRoundTripWithoutShowingThePassword() throws Exception {
        // Port 1 on the loopback interface: refused at once.
        Process process = java("--broker", "amqp://guest:hunter2@127.0.0.1:1", "--round-trip");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_FAILURE, process.exitValue());
        String err = stderr.text();
        assertTrue(err.contains("round trip FAILED") && err.contains("Could not set up RabbitMQ at amqp://guest:***@127.0.0.1:1"), err);
        assertFalse(err.contains("hunter2"), err);
    }

    /**
     * Runs {@code --broker uri --round-trip} and checks its output line by line; returns the lines.
     *
     * @param brokerLine what the first line says of the broker, a pattern whose group 1 is the round trip's name
     */
    private List<String> roundTrip(String uri, String brokerLine, String brokerName, String destination,
            String republication, String ending) throws Exception {
        Path javaTmp = Files.createDirectory(tmp.resolve("java-tmp"));
        Process process = java(List.of("-Djava.io.tmpdir=" + javaTmp), "--broker", uri, "--round-trip");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the round trip ends by itself");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> out + stderr.text());
        List<String> lines = out.lines().toList();
        List<Pattern> expected = List.of(
                Pattern.compile("Round trip on http://127\\.0\\.0\\.1:\\d+, on a temporary embedded database, through "
                        + brokerLine + " \\(deleted afterwards\\):"),
                Pattern.compile("1\\. POST /posts \\(Idempotency-Key [0-9a-f-]{36}\\) -> 201 /posts/1"),
                Pattern.compile("2\\. the same POST again -> 201 replayed \\(Idempotent-Replayed: true\\); still 1 post, "
                        + "so no second event"),
                Pattern.compile("3\\. outbox relayed post\\.published " + ID + " to " + brokerName + " " + destination
                        + "; the inbox consumer recorded it \\d+ ms after the post"),
                Pattern.compile("4\\. consumer applied " + ID + " once, in the inbox's transaction, and acknowledged it "
                        + "after the commit \\(GET /webhooks/received\\?post_id=1: 1 receipt\\)"),
                Pattern.compile("5\\. republication of " + ID + " \\(same id, as a relay publishes again after dying "
                        + "before it marked the message\\) -> " + republication + "; still 1 receipt"),
                Pattern.compile("Round trip OK: one post, one event relayed to " + Pattern.quote(brokerName)
                        + " and consumed once; the republication was " + ending));
        assertEquals(expected.size(), lines.size(), out);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            Matcher line = expected.get(i).matcher(lines.get(i));
            assertTrue(line.matches(), "line " + (i + 1) + ": " + lines.get(i));
            if (i >= 3 && i <= 5) {
                ids.add(line.group(1));
            }
        }
        assertEquals(1, ids.stream().distinct().count(), "steps 3 to 5 are about one message: " + ids);
        assertEquals("", stderr.text().strip(), "nothing logged at the default level");
        try (Stream<Path> left = Files.list(javaTmp)) {
            assertEquals(List.of(), left.toList(), "the temporary database is deleted");
        }
        return lines;
    }

    /** The round trip's broker-side name, from its first line. */
    private static String name(String firstLine) {
        Matcher name = Pattern.compile("(idempotency-demo-rt-[0-9a-f]{8})").matcher(firstLine);
        assertTrue(name.find(), firstLine);
        return name.group(1);
    }

    private static String env(String name, String example) {
        String value = System.getenv(name);
        assertNotNull(value, () -> "Set " + name + " to the broker these tests run against, for example " + name + "='"
                + example + "'");
        return value;
    }

    private Process java(String... args) throws IOException {
        return java(List.of(), args);
    }

    private Process java(List<String> jvmOptions, String... args) throws IOException {
        String jar = System.getProperty(ExecutableJarIT.JAR_PROPERTY);
        assertNotNull(jar, "system property " + ExecutableJarIT.JAR_PROPERTY + " (set by the failsafe configuration)");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(tmp.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.file().toFile()))
                .start();
        processes.add(process);
        return process;
    }
}
