package dev.idempotency.nats;

import dev.idempotency.testing.Await;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The NATS server with JetStream that the tests use, found through {@value #ENV_URL}, or a server of a test's own
 * ({@link #on(String)}): one connection per test class, and the streams the class creates, each with a unique
 * name, deleted after its last test (their consumers go with them).
 */
final class JetStreamExtension implements BeforeAllCallback, AfterAllCallback {

    /** The environment variable naming the shared server, such as {@code nats://127.0.0.1:4222}. */
    static final String ENV_URL = "IDEMPOTENCY_TEST_NATS_URL";

    private final String fixedUrl;
    private final List<String> streams = new ArrayList<>();
    private Connection connection;
    private JetStreamManagement management;

    private JetStreamExtension(String url) {
        this.fixedUrl = url;
    }

    /** The shared server of {@value #ENV_URL}. */
    static JetStreamExtension create() {
        return new JetStreamExtension(null);
    }

    /** A server of the test's own, opened at once; the caller closes it with {@link #close()}. */
    static JetStreamExtension on(String url) throws Exception {
        JetStreamExtension extension = new JetStreamExtension(url);
        extension.open();
        return extension;
    }

    /** The URL of the shared server, or a failure saying how to set it. */
    static String sharedUrl() {
        String url = System.getenv(ENV_URL);
        if (url == null || url.isBlank()) {
            throw new ExtensionConfigurationException("No NATS server for tests: set " + ENV_URL
                    + " to the URL of a NATS server with JetStream, such as " + ENV_URL
                    + "='nats://127.0.0.1:4222' (start one with nats-server -a 127.0.0.1 -p 4222 -js)");
        }
        return url.trim();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        open();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    private void open() throws IOException, InterruptedException {
        String url = fixedUrl != null ? fixedUrl : sharedUrl();
        try {
            connection = Nats.connect(new Options.Builder().server(url).connectionTimeout(Duration.ofSeconds(5))
                    .maxReconnects(-1).reconnectWait(Duration.ofMillis(200)).connectionName("test-admin").build());
            management = connection.jetStreamManagement();
            management.getAccountStatistics();
        } catch (IOException | JetStreamApiException e) {
            throw new ExtensionConfigurationException("Cannot use the NATS server at " + url + " (from " + ENV_URL
                    + "): " + e + ". It must run with JetStream (-js).", e);
        }
    }

    /** Deletes the streams this extension created, and closes its connection. */
    void close() throws InterruptedException {
        if (connection == null) {
            return;
        }
        for (String stream : streams) {
            try {
                management.deleteStream(stream);
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                // Gone already, or the server of a test's own is down: nothing to clean up.
            }
        }
        streams.clear();
        connection.close();
        connection = null;
    }

    /** The extension's connection (for publishing in tests). */
    Connection connection() {
        return connection;
    }

    /** The URL of the server. */
    String url() {
        return fixedUrl != null ? fixedUrl : sharedUrl();
    }

    JetStreamManagement management() {
        return management;
    }

    /**
     * A new file-backed stream named {@code <prefix>_<random>} on the subjects {@code <name>.>} (returned as the
     * stream's name; publish to {@code name + ".something"}), with the given duplicate window.
     */
    String createStream(String prefix, Duration duplicateWindow) throws IOException, JetStreamApiException {
        String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        management.addStream(StreamConfiguration.builder().name(name).subjects(name + ".>")
                .storageType(StorageType.File).duplicateWindow(duplicateWindow).build());
        streams.add(name);
        return name;
    }

    /** A durable pull consumer with explicit acks, the given ack wait and unlimited deliveries. */
    String createPullConsumer(String stream, String durable, Duration ackWait) throws IOException,
            JetStreamApiException {
        management.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable(durable)
                .ackPolicy(AckPolicy.Explicit).ackWait(ackWait).maxAckPending(10_000).build());
        return durable;
    }

    /** The consumer's state now. */
    ConsumerInfo consumer(String stream, String durable) throws IOException, JetStreamApiException {
        return management.getConsumerInfo(stream, durable);
    }

    /** How many messages the stream holds. */
    long messages(String stream) throws IOException, JetStreamApiException {
        return management.getStreamInfo(stream).getStreamState().getMsgCount();
    }

    /** Whether every message of the stream was delivered to the consumer and acknowledged. */
    boolean drained(String stream, String durable) {
        try {
            ConsumerInfo info = consumer(stream, durable);
            return info.getNumPending() == 0 && info.getNumAckPending() == 0;
        } catch (IOException | JetStreamApiException e) {
            return false;
        }
    }

    /** Waits until {@code condition} holds, failing after {@code deadline} with {@code what}. */
    static void await(Duration deadline, String what, Await.Condition condition) throws Exception {
        Await.until(deadline, condition, what);
    }

    /** As {@link #await(Duration, String, Await.Condition)}, with a description made when it fails. */
    static void await(Duration deadline, Supplier<String> what, Await.Condition condition) throws Exception {
        Await.until(deadline, condition, what);
    }
}
