package dev.idempotency.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.idempotency.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The RabbitMQ broker of a test class, found through {@value #ENV_URI} (such as
 * {@code amqp://guest:guest@127.0.0.1:5672}); without it the class fails saying how to set it. Register it in a
 * static field. Every exchange and queue a test declares through it has a name of its own ({@code it-<hex>-...})
 * and is deleted after the class.
 */
final class RabbitBroker implements BeforeAllCallback, AfterAllCallback {

    /** The environment variable naming the broker. */
    static final String ENV_URI = "IDEMPOTENCY_TEST_RABBITMQ_URI";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<String> exchanges = new ArrayList<>();
    private final List<String> queues = new ArrayList<>();
    private String uri;
    private Connection admin;

    /**
     * Where a test publishes and consumes: a durable direct exchange, a durable queue bound to it with
     * {@link #ROUTING_KEY}, and the queue's dead-letter exchange (fanout) with its queue.
     */
    record Topology(String exchange, String queue, String deadLetterExchange, String deadLetterQueue) {

        static final String ROUTING_KEY = "event";

        /** The destination of outbox messages for this topology's queue. */
        String destination() {
            return RabbitPublisher.destination(exchange, ROUTING_KEY);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        uri = System.getenv(ENV_URI);
        if (uri == null || uri.isBlank()) {
            throw new ExtensionConfigurationException("No RabbitMQ for tests: set " + ENV_URI + " to the broker's "
                    + "URI, such as " + ENV_URI + "='amqp://guest:guest@127.0.0.1:5672' (the user must be allowed to "
                    + "declare and delete exchanges and queues)");
        }
        try {
            admin = factory().newConnection("idempotency-tests-admin");
        } catch (IOException | java.util.concurrent.TimeoutException e) {
            throw new ExtensionConfigurationException("Could not connect to RabbitMQ at "
                    + dev.idempotency.jdbc.Redaction.redact(uri) + " (from " + ENV_URI + "): " + e, e);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (admin == null) {
            return;
        }
        awaitAnswering(Duration.ofSeconds(60));
        try (Channel channel = admin().createChannel()) {
            for (String queue : queues) {
                channel.queueDelete(queue);
            }
            for (String exchange : exchanges) {
                channel.exchangeDelete(exchange);
            }
        } finally {
            admin.abort();
        }
    }

    /** The broker's URI. */
    String uri() {
        return uri;
    }

    /** A factory for the broker, with short timeouts. */
    ConnectionFactory factory() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        factory.setConnectionTimeout(5000);
        factory.setAutomaticRecoveryEnabled(false);
        return factory;
    }

    /** A new, unique topology with a classic queue. */
    Topology topology() throws Exception {
        return topology(false);
    }

    /** A new, unique topology, with a quorum queue (which counts deliveries in {@code x-delivery-count}) or not. */
    synchronized Topology topology(boolean quorum) throws Exception {
        String prefix = "it-" + HexFormat.of().formatHex(randomBytes());
        Topology topology = new Topology(prefix + "-x", prefix + "-q", prefix + "-dlx", prefix + "-dlq");
        exchanges.add(topology.exchange());
        exchanges.add(topology.deadLetterExchange());
        queues.add(topology.queue());
        queues.add(topology.deadLetterQueue());
        try (Channel channel = admin().createChannel()) {
            channel.exchangeDeclare(topology.exchange(), BuiltinExchangeType.DIRECT, true);
            channel.exchangeDeclare(topology.deadLetterExchange(), BuiltinExchangeType.FANOUT, true);
            channel.queueDeclare(topology.deadLetterQueue(), true, false, false, null);
            channel.queueBind(topology.deadLetterQueue(), topology.deadLetterExchange(), "");
            channel.queueDeclare(topology.queue(), true, false, false, quorum
                    ? Map.of("x-dead-letter-exchange", topology.deadLetterExchange(), "x-queue-type", "quorum")
                    : Map.of("x-dead-letter-exchange", topology.deadLetterExchange()));
            channel.queueBind(topology.queue(), topology.exchange(), Topology.ROUTING_KEY);
        }
        return topology;
    }

    /** Messages ready in {@code queue} (not counting those delivered and not yet acknowledged). */
    long ready(String queue) throws Exception {
        try (Channel channel = admin().createChannel()) {
            return channel.messageCount(queue);
        }
    }

    /** Takes one message from {@code queue} (acknowledged), or {@code null} if none is ready. */
    GetResponse take(String queue) throws Exception {
        try (Channel channel = admin().createChannel()) {
            return channel.basicGet(queue, true);
        }
    }

    /** Publishes {@code body} to the topology's queue as another producer would, with {@code properties}. */
    void publishRaw(Topology topology, AMQP.BasicProperties properties, String body) throws Exception {
        try (Channel channel = admin().createChannel()) {
            channel.confirmSelect();
            channel.basicPublish(topology.exchange(), Topology.ROUTING_KEY, true, properties,
                    body.getBytes(StandardCharsets.UTF_8));
            channel.waitForConfirmsOrDie(10_000);
        }
    }

    /**
     * Publishes {@code messages} to the topology's queue as {@link RabbitPublisher} would (id, persistent), on one
     * channel, waiting for the broker's confirms once at the end: the quick way to fill a queue for a test.
     */
    void publishAll(Topology topology, List<dev.idempotency.jdbc.outbox.OutboxMessage> messages) throws Exception {
        try (Channel channel = admin().createChannel()) {
            channel.confirmSelect();
            for (dev.idempotency.jdbc.outbox.OutboxMessage message : messages) {
                channel.basicPublish(topology.exchange(), Topology.ROUTING_KEY, true,
                        new AMQP.BasicProperties.Builder().messageId(message.id()).deliveryMode(2).build(),
                        message.payload());
            }
            channel.waitForConfirmsOrDie(60_000);
        }
    }

    /**
     * Sets the memory high watermark to 0, which raises the memory alarm at once: the broker blocks every
     * connection that publishes until {@link #restoreMemoryHighWatermark} sets it back. One {@code rabbitmqctl}
     * call.
     *
     * @return the watermark it had, as an Erlang term (such as {@code 0.4}), for the restore
     */
    String raiseMemoryAlarm() throws Exception {
        return rabbitmqctl("eval", "W = vm_memory_monitor:get_vm_memory_high_watermark(), "
                + "ok = vm_memory_monitor:set_vm_memory_high_watermark(0.0), W.").trim();
    }

    /** Sets the memory high watermark back to {@code watermark}, as {@link #raiseMemoryAlarm} returned it. */
    void restoreMemoryHighWatermark(String watermark) throws Exception {
        rabbitmqctl("eval", "ok = vm_memory_monitor:set_vm_memory_high_watermark(" + watermark + ").");
    }

    /** Closes every client connection to the broker, as a network cut would (the admin connection too). */
    void closeAllConnections() throws Exception {
        rabbitmqctl("close_all_connections", "cut by a test");
    }

    /**
     * Stops the broker's application and starts it again, as {@code rabbitmqctl stop_app} and {@code start_app}
     * do, in one {@code rabbitmqctl} call (each call boots an Erlang VM, seconds on a busy machine); returns once
     * the broker answers. If the call failed half way, {@code start_app} starts the application again.
     */
    void restart() throws Exception {
        try {
            rabbitmqctl("eval", "ok = rabbit:stop(), ok = rabbit:start().");
        } finally {
            try {
                awaitAnswering(Duration.ofSeconds(10));
            } catch (AssertionError stillStopped) {
                rabbitmqctl("start_app");
                awaitAnswering(Duration.ofSeconds(60));
            }
        }
    }

    /** Waits until a new connection succeeds; reconnects the admin connection. */
    void awaitAnswering(Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                admin();
                return;
            } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("RabbitMQ did not answer within " + limit, e);
                }
                Thread.sleep(200);
            }
        }
    }

    private synchronized Connection admin() throws Exception {
        if (admin == null || !admin.isOpen()) {
            admin = factory().newConnection("idempotency-tests-admin");
        }
        return admin;
    }

    /** Runs {@code rabbitmqctl} with {@code arguments} and returns its output; fails with it unless it exits 0. */
    static String rabbitmqctl(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("rabbitmqctl", "-q"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    /** Polls {@code condition} every 20 ms until it holds; fails with {@code what} after {@code limit}. */
    static void await(String what, Duration limit, Await.Condition condition) throws Exception {
        Await.until(limit, condition, what);
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
