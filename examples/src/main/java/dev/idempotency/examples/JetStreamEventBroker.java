package dev.idempotency.examples;

import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.nats.JetStreamInboxConsumer;
import dev.idempotency.nats.JetStreamPublisher;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;

/**
 * {@code --broker nats://...}: NATS JetStream. The demo creates, when missing, a file-backed stream
 * {@code <name>} on the subject {@code <name>.post.published} with a 10-minute duplicate window (above the
 * relay's 60-second lease plus the publisher's timeout, as docs/messaging-nats.md advises, so a relay's
 * republication is dropped by JetStream itself), and a durable pull consumer {@value #DURABLE} with explicit
 * acknowledgements. Events are enqueued to that subject.
 */
final class JetStreamEventBroker extends EventBroker {

    static final String DURABLE = "publishing-demo";

    /** JetStream's error code for "stream not found". */
    private static final int STREAM_NOT_FOUND = 10059;

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private JetStreamPublisher publisher;
    private JetStreamInboxConsumer consumer;

    JetStreamEventBroker(BrokerUri uri, String name, boolean temporary) {
        super(uri, name, temporary);
    }

    private String stream() {
        return name();
    }

    @Override
    String destination() {
        return name() + "." + PostEvents.PUBLISHED;
    }

    @Override
    String describe() {
        return "NATS JetStream at " + uri() + ", stream " + stream() + ", subject " + destination() + ", consumer "
                + DURABLE;
    }

    @Override
    void declare() throws Exception {
        try (Connection nats = connect()) {
            JetStreamManagement jsm = nats.jetStreamManagement();
            try {
                jsm.getStreamInfo(stream());
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                    throw e;
                }
                jsm.addStream(StreamConfiguration.builder().name(stream()).subjects(destination())
                        .storageType(StorageType.File)
                        .duplicateWindow(Duration.ofMinutes(10))
                        .build());
            }
            jsm.addOrUpdateConsumer(stream(), ConsumerConfiguration.builder().durable(DURABLE)
                    .ackPolicy(AckPolicy.Explicit)       // the consumer acknowledges after its commit
                    .ackWait(Duration.ofSeconds(30))     // longer than the handler and its commit
                    .maxDeliver(20)
                    .build());
        }
    }

    /** A connection for managing the stream; its errors never quote the URL, which may hold a password. */
    private Connection connect() throws IOException, InterruptedException {
        try {
            return Nats.connect(io.nats.client.Options.builder().server(uri().uri()).connectionTimeout(TIMEOUT)
                    .build());
        } catch (IOException e) {
            throw new IOException("Could not connect to NATS at " + uri() + " within " + TIMEOUT.toSeconds() + " s");
        }
    }

    @Override
    synchronized OutboxPublisher publisher() {
        if (publisher == null) {
            publisher = JetStreamPublisher.builder().url(uri().uri()).timeout(TIMEOUT).expectedStream(stream()).build();
        }
        return publisher;
    }

    @Override
    synchronized void startConsumer(JdbcInbox inbox, Handler handler) {
        consumer = JetStreamInboxConsumer.builder()
                .url(uri().uri())
                .stream(stream())
                .durable(DURABLE)
                .inbox(inbox)
                .inboxConsumer(INBOX_CONSUMER)
                .handler((message, messageId) -> handler.handle(messageId, message.getData()))
                .build()
                .start();
    }

    /**
     * Within the stream's duplicate window JetStream acknowledges a message with a {@code Nats-Msg-Id} it has
     * stored already and drops it: the stream's last sequence does not move, and the consumer never sees it.
     */
    @Override
    Republication republish(OutboxMessage message) throws Exception {
        try (Connection nats = connect()) {
            JetStreamManagement jsm = nats.jetStreamManagement();
            long before = jsm.getStreamInfo(stream()).getStreamState().getLastSequence();
            requireDelivered(publisher().publish(message, 2));
            long after = jsm.getStreamInfo(stream()).getStreamState().getLastSequence();
            return after == before ? Republication.DROPPED_BY_BROKER : Republication.DELIVERED;
        }
    }

    @Override
    void delete() throws Exception {
        try (Connection nats = connect()) {
            nats.jetStreamManagement().deleteStream(stream());
        }
    }

    @Override
    synchronized void closeClients() throws InterruptedException {
        try {
            if (consumer != null) {
                consumer.close();
            }
        } finally {
            if (publisher != null) {
                publisher.close();
            }
        }
    }
}
