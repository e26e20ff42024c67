package dev.idempotency.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.GetResponse;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The publisher against the real broker: what it sends, and how each outcome maps to a result. */
class RabbitPublisherTest {

    @RegisterExtension
    static final RabbitBroker BROKER = new RabbitBroker();

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final List<RabbitPublisher> publishers = new ArrayList<>();

    @AfterEach
    void closePublishers() {
        publishers.forEach(RabbitPublisher::close);
    }

    private RabbitPublisher publisher(String uri) {
        RabbitPublisher publisher = RabbitPublisher.builder().uri(uri).timeout(Duration.ofSeconds(5)).build();
        publishers.add(publisher);
        return publisher;
    }

    @Test
    void publishesAConfirmedPersistentMessageCarryingTheOutboxIdAndEveryHeader() throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        OutboxMessage message = OutboxMessage.of(topology.destination(), "order-7",
                "{\"order\":7}".getBytes(StandardCharsets.UTF_8), List.of(new Header("traceparent", TRACEPARENT),
                        new Header("Content-Type", "application/json"), new Header("x-tag", "a"),
                        new Header("x-tag", "b")));

        assertEquals(PublishResult.delivered(), publisher(BROKER.uri()).publish(message, 1));

        GetResponse received = BROKER.take(topology.queue());
        assertNotNull(received, "the message is in the queue once confirmed");
        assertEquals(message.id(), received.getProps().getMessageId());
        assertEquals(2, received.getProps().getDeliveryMode(), "persistent");
        assertEquals("application/json", received.getProps().getContentType());
        assertEquals(message.createdAt().getEpochSecond(), received.getProps().getTimestamp().getTime() / 1000);
        assertEquals(TRACEPARENT, String.valueOf(received.getProps().getHeaders().get("traceparent")));
        assertEquals("a, b", String.valueOf(received.getProps().getHeaders().get("x-tag")));
        assertEquals("{\"order\":7}", new String(received.getBody(), StandardCharsets.UTF_8));
        assertEquals(0, BROKER.ready(topology.queue()));
    }

    @Test
    void anUnroutableMessageIsRetriedNotDelivered() throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        OutboxMessage message = OutboxMessage.of(RabbitPublisher.destination(topology.exchange(), "nobody-listens"),
                null, new byte[] {1}, List.of());

        PublishResult result = publisher(BROKER.uri()).publish(message, 3);

        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class, result);
        assertTrue(retry.error().contains("unroutable") && retry.error().contains("attempt 3"), retry.error());
    }

    @Test
    void aMissingExchangeIsRetriedAndThePublisherKeepsWorkingAfterwards() throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        RabbitPublisher publisher = publisher(BROKER.uri());

        PublishResult missing = publisher.publish(OutboxMessage.of(RabbitPublisher.destination(topology.exchange()
                + "-missing", "event"), null, new byte[0], List.of()), 1);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class, missing);
        assertTrue(retry.error().contains("404"), retry.error());

        assertEquals(PublishResult.delivered(), publisher.publish(OutboxMessage.of(topology.destination(), null,
                new byte[0], List.of()), 1), "the closed channel was replaced");
        assertEquals(1, BROKER.ready(topology.queue()));
    }

    @Test
    void aDestinationThatIsNotExchangeSlashRoutingKeyIsRejectedWithoutPublishing() throws Exception {
        RabbitPublisher publisher = publisher(BROKER.uri());

        PublishResult noSlash = publisher.publish(OutboxMessage.of("orders", null, new byte[0], List.of()), 1);
        assertTrue(assertInstanceOf(PublishResult.Rejected.class, noSlash).error().contains("exchange/routing-key"));

        PublishResult longKey = publisher.publish(OutboxMessage.of("orders/" + "k".repeat(256), null, new byte[0],
                List.of()), 1);
        assertTrue(assertInstanceOf(PublishResult.Rejected.class, longKey).error().contains("255"));

        assertThrows(IllegalArgumentException.class, () -> RabbitPublisher.destination("a/b", "key"));
        assertEquals("/queue", RabbitPublisher.destination("", "queue"));
    }

    @Test
    void anUnreachableBrokerIsARetryWithinTheTimeoutAndNeverShowsThePassword() throws Exception {
        RabbitPublisher publisher = RabbitPublisher.builder().uri("amqp://app:s3cret-pw@127.0.0.1:1/")
                .timeout(Duration.ofSeconds(2)).build();
        publishers.add(publisher);
        long start = System.nanoTime();

        PublishResult result = publisher.publish(OutboxMessage.of("x/y", null, new byte[0], List.of()), 1);

        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(8)) < 0);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class, result);
        assertTrue(retry.error().contains("amqp://app@127.0.0.1:1/"), retry.error());
        assertFalse(retry.error().contains("s3cret-pw"), retry.error());
        assertFalse(publisher.toString().contains("s3cret-pw"), publisher.toString());
    }

    @Test
    void aBrokerThatBlocksPublishingMakesEachPublicationARetryWithinItsTimeout() throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        RabbitPublisher publisher = RabbitPublisher.builder().uri(BROKER.uri()).timeout(Duration.ofSeconds(1))
                .build();
        publishers.add(publisher);
        assertEquals(PublishResult.delivered(), publisher.publish(message(topology), 1), "connected");
        String watermark = BROKER.raiseMemoryAlarm();
        try {
            // The broker blocks the connection at its next publication, and says so: until then a publication
            // waits for its confirm up to the timeout. Each one is a retry, and none takes much longer.
            PublishResult.Retry blocked = null;
            for (int attempt = 1; attempt <= 10 && (blocked == null || !blocked.error().contains("blocks")); attempt++) {
                long start = System.nanoTime();
                blocked = assertInstanceOf(PublishResult.Retry.class, publisher.publish(message(topology), attempt));
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertTrue(took.compareTo(Duration.ofSeconds(4)) < 0, "took " + took + ": " + blocked.error());
            }
            assertTrue(blocked.error().contains("blocks publishing"), blocked.error());
        } finally {
            BROKER.restoreMemoryHighWatermark(watermark);
        }
        RabbitBroker.await("publishing again once the alarm cleared", Duration.ofSeconds(30), () -> {
            try {
                return publisher.publish(message(topology), 1) instanceof PublishResult.Delivered;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static OutboxMessage message(RabbitBroker.Topology topology) {
        return OutboxMessage.of(topology.destination(), null, new byte[] {1}, List.of());
    }

    @Test
    void publishesFromManyThreadsAtOnceEachMessageConfirmedOnce() throws Exception {
        RabbitBroker.Topology topology = BROKER.topology();
        RabbitPublisher publisher = RabbitPublisher.builder().uri(BROKER.uri()).maxChannels(4).build();
        publishers.add(publisher);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<PublishResult>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                OutboxMessage message = OutboxMessage.of(topology.destination(), null, new byte[] {(byte) i},
                        List.of());
                results.add(threads.submit(() -> publisher.publish(message, 1)));
            }
            for (Future<PublishResult> result : results) {
                assertEquals(PublishResult.delivered(), result.get());
            }
        } finally {
            threads.shutdownNow();
        }
        Set<String> ids = new HashSet<>();
        GetResponse received;
        while ((received = BROKER.take(topology.queue())) != null) {
            assertTrue(ids.add(received.getProps().getMessageId()), "each message once");
        }
        assertEquals(400, ids.size());
    }

    @Test
    void theBuilderRefusesBadSettingsNamingThemAndHidingThePassword() {
        IdempotencyConfigException timeout = assertThrows(IdempotencyConfigException.class,
                () -> RabbitPublisher.builder().timeout(Duration.ZERO));
        assertEquals("timeout", timeout.setting());
        assertEquals("maxChannels", assertThrows(IdempotencyConfigException.class,
                () -> RabbitPublisher.builder().maxChannels(0)).setting());
        assertEquals("uri", assertThrows(IdempotencyConfigException.class,
                () -> RabbitPublisher.builder().build()).setting());
        IdempotencyConfigException tls = assertThrows(IdempotencyConfigException.class,
                () -> RabbitPublisher.builder().uri("amqps://app:s3cret-pw@broker:5671/"));
        assertTrue(tls.getMessage().contains("connectionFactory"), tls.getMessage());
        assertFalse(tls.getMessage().contains("s3cret-pw"), tls.getMessage());
        IdempotencyConfigException http = assertThrows(IdempotencyConfigException.class,
                () -> RabbitPublisher.builder().uri("http://app:s3cret-pw@broker/"));
        assertFalse(http.getMessage().contains("s3cret-pw"), http.getMessage());
    }
}
