package dev.idempotency.nats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.PublishResult;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JetStreamPublisher} against the real NATS server of {@value JetStreamExtension#ENV_URL}. */
class JetStreamPublisherTest {

    @RegisterExtension
    static final JetStreamExtension NATS = JetStreamExtension.create();

    private static JetStreamPublisher publisher;
    private static String stream;

    @BeforeAll
    static void createStreamAndPublisher() throws Exception {
        stream = NATS.createStream("PUBLISHER", Duration.ofMinutes(2));
        publisher = JetStreamPublisher.builder().url(NATS.url()).timeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void closePublisher() throws Exception {
        publisher.close();
    }

    private static OutboxMessage message(String subject, String key, String payload, List<Header> headers) {
        return new OutboxMessage(UUID.randomUUID().toString(), subject, key, payload.getBytes(StandardCharsets.UTF_8),
                headers, Instant.now());
    }

    private static Message onlyMessageOn(String subject) throws Exception {
        String durable = "read_" + UUID.randomUUID().toString().substring(0, 8);
        NATS.management().addOrUpdateConsumer(stream, io.nats.client.api.ConsumerConfiguration.builder()
                .durable(durable).filterSubject(subject).build());
        JetStreamSubscription subscription = NATS.connection().jetStream()
                .subscribe(subject, PullSubscribeOptions.bind(stream, durable));
        List<Message> messages = subscription.fetch(10, Duration.ofSeconds(2));
        subscription.unsubscribe();
        assertEquals(1, messages.size(), "messages stored on " + subject);
        return messages.get(0);
    }

    @Test
    void publishesThePayloadWithEveryHeaderTheIdAsNatsMsgIdAndTheKey() throws Exception {
        String subject = stream + ".posts.created";
        OutboxMessage message = message(subject, "account-7", "{\"id\":42}", List.of(
                new Header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                new Header("Content-Type", "application/json"), new Header("X-Tenant", "a"),
                new Header("X-Tenant", "b")));

        assertEquals(PublishResult.delivered(), publisher.publish(message, 1));

        Message stored = onlyMessageOn(subject);
        assertArrayEquals(message.payload(), stored.getData());
        assertEquals(message.id(), stored.getHeaders().getFirst(JetStreamPublisher.MESSAGE_ID_HEADER));
        assertEquals("account-7", stored.getHeaders().getFirst(JetStreamPublisher.KEY_HEADER));
        assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                stored.getHeaders().getFirst("traceparent"));
        assertEquals("application/json", stored.getHeaders().getFirst("Content-Type"));
        assertEquals(List.of("a", "b"), stored.getHeaders().get("X-Tenant"));
    }

    @Test
    void aRepublicationOfTheSameIdIsDeliveredAndTheStreamKeepsOneCopy() throws Exception {
        String subject = stream + ".republished";
        OutboxMessage message = message(subject, null, "once", List.of());
        long before = NATS.messages(stream);

        assertEquals(PublishResult.delivered(), publisher.publish(message, 1));
        assertEquals(PublishResult.delivered(), publisher.publish(message, 2), "a republication after a relay crash");
        assertEquals(PublishResult.delivered(), publisher.publish(message, 3));

        assertEquals(before + 1, NATS.messages(stream), "the duplicate window dropped the republications");
        assertFalse(onlyMessageOn(subject).getHeaders().containsKey(JetStreamPublisher.KEY_HEADER),
                "no key header for a message without a key");
    }

    @Test
    void aSubjectNoStreamListensOnIsARetryThatNamesTheSubject() throws Exception {
        String subject = "nostream_" + UUID.randomUUID().toString().substring(0, 8) + ".orders";
        OutboxMessage message = message(subject, null, "x", List.of());

        PublishResult result = publisher.publish(message, 4);

        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class, result);
        assertTrue(retry.error().contains(subject) && retry.error().contains(message.id()), retry.error());
        assertTrue(retry.error().contains("no stream listens on the subject"), retry.error());
    }

    @Test
    void aSubjectThatCannotBePublishedToOrAHeaderNatsCannotCarryIsRejected() throws Exception {
        for (String subject : List.of(stream + ".a b", stream + ".*", stream + ".>", stream + "..x", stream + ".x.")) {
            PublishResult result = publisher.publish(message(subject, null, "x", List.of()), 1);
            PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, result, subject);
            assertTrue(rejected.error().contains("subject"), rejected.error());
        }
        PublishResult badHeader = publisher.publish(message(stream + ".h", null, "x",
                List.of(new Header("Bad:Name", "v"))), 1);
        assertInstanceOf(PublishResult.Rejected.class, badHeader, badHeader.toString());
    }

    @Test
    void aMessageStoredByAnotherStreamThanTheExpectedOneIsRejected() throws Exception {
        try (JetStreamPublisher expecting = JetStreamPublisher.builder().connection(NATS.connection())
                .expectedStream("SOME_OTHER_STREAM").timeout(Duration.ofSeconds(2)).build()) {
            PublishResult result = expecting.publish(message(stream + ".expected", null, "x", List.of()), 1);
            PublishResult.Rejected rejected = assertInstanceOf(PublishResult.Rejected.class, result, result.toString());
            assertTrue(rejected.error().contains("expected stream"), rejected.error());
        }
        assertTrue(NATS.connection().getStatus() == io.nats.client.Connection.Status.CONNECTED,
                "a given connection stays open when the publisher is closed");
    }

    @Test
    void aClosedConnectionIsARetryWithoutWaiting() throws Exception {
        JetStreamPublisher closed = JetStreamPublisher.builder().url(NATS.url()).build();
        closed.close();
        long start = System.nanoTime();
        PublishResult result = closed.publish(message(stream + ".closed", null, "x", List.of()), 1);
        PublishResult.Retry retry = assertInstanceOf(PublishResult.Retry.class, result);
        assertTrue(retry.error().contains("closed"), retry.error());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(1).toNanos(), "answered at once");
    }

    @Test
    void theSettingsAreCheckedWhenSetAndNameTheSettingAndTheValue() {
        IdempotencyConfigException timeout = assertThrows(IdempotencyConfigException.class,
                () -> JetStreamPublisher.builder().timeout(Duration.ZERO));
        assertEquals("timeout", timeout.setting());
        assertTrue(timeout.getMessage().contains("PT0S"), timeout.getMessage());
        IdempotencyConfigException url = assertThrows(IdempotencyConfigException.class,
                () -> JetStreamPublisher.builder().url("http://app:hunter2@127.0.0.1:4222"));
        assertEquals("url", url.setting());
        assertFalse(url.getMessage().contains("hunter2"), url.getMessage());
        assertTrue(url.getMessage().contains("http://app:***@127.0.0.1:4222"), url.getMessage());
        assertThrows(IdempotencyConfigException.class, () -> JetStreamPublisher.builder().expectedStream("a.b"));
        IdempotencyConfigException neither = assertThrows(IdempotencyConfigException.class,
                () -> JetStreamPublisher.builder().build());
        assertEquals("url or connection", neither.setting());
        IdempotencyConfigException both = assertThrows(IdempotencyConfigException.class,
                () -> JetStreamPublisher.builder().url("nats://s3cret-token@127.0.0.1:1")
                        .connection(NATS.connection()).build());
        assertFalse(both.getMessage().contains("s3cret-token"), both.getMessage());
    }

    @Test
    void aServerThatCannotBeReachedFailsTheBuildWithoutShowingTheSecrets() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "nats://relay:hunter2@127.0.0.1:" + closedPort + ",nats://s3cret-token@127.0.0.1:" + closedPort;
        UncheckedIOException failure = assertThrows(UncheckedIOException.class,
                () -> JetStreamPublisher.builder().url(url).timeout(Duration.ofMillis(500)).build());
        String text = failure.getMessage() + " " + failure.getCause();
        assertFalse(text.contains("hunter2") || text.contains("s3cret-token"), text);
        assertTrue(text.contains("nats://relay:***@127.0.0.1:" + closedPort), text);
        assertTrue(text.contains("nats://***@127.0.0.1:" + closedPort), text);

        JetStreamPublisher shown = JetStreamPublisher.builder().url(NATS.url()).build();
        try {
            assertTrue(shown.toString().contains(NATS.url()), shown.toString());
        } finally {
            shown.close();
        }
        assertEquals("nats://app:***@h:1,tls://***@h2", dev.idempotency.nats.internal.NatsConnections
                .redact("nats://app:pw@h:1,tls://tok@h2"));
    }
}
