package dev.idempotency.examples;

import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.util.Objects;

/**
 * The broker of {@code --broker}, seen from the demo: where {@code post.published} is enqueued to, the library's
 * publisher the relay sends it with, and the library's inbox consumer that takes it back.
 *
 * <p>The library declares nothing on a broker: exchanges, queues, streams, consumers and topics are the
 * operator's. A demo has no operator, so each subclass declares what it needs, under names that start with
 * its {@code name} ({@value #DEFAULT_NAME} when serving), and only when missing. The round trip uses names of its
 * own and deletes them afterwards ({@code temporary}).
 *
 * <p>One instance per server: {@link #setUp()}, then {@link #publisher()} for the relay and
 * {@link #startConsumer} with the inbox; {@link #close()} after the relay and before the inbox.
 */
abstract class EventBroker implements AutoCloseable {

    /** The prefix of the broker-side names the demo declares when serving. */
    static final String DEFAULT_NAME = "idempotency-demo";

    /**
     * The name the inbox keeps the broker consumer's markers under: apart from the webhook receiver's
     * ({@value PublishingApiServer#WEBHOOK_CONSUMER}), so the two never take each other's messages for
     * duplicates.
     */
    static final String INBOX_CONSUMER = PublishingApiServer.WEBHOOK_CONSUMER + "-broker";

    /** What the inbox consumer does with each message, inside the inbox's transaction. */
    @FunctionalInterface
    interface Handler {

        /** Applies one message: {@code messageId} is the outbox id, {@code payload} the event's JSON. */
        void handle(String messageId, byte[] payload) throws Exception;
    }

    /** What the broker did with a message published again with the same id. */
    enum Republication {
        /** Stored and delivered to the consumer, whose inbox must recognise it. */
        DELIVERED,
        /** Dropped by the broker itself as a duplicate (JetStream's duplicate window). */
        DROPPED_BY_BROKER
    }

    private final BrokerUri uri;
    private final String name;
    private final boolean temporary;

    EventBroker(BrokerUri uri, String name, boolean temporary) {
        this.uri = Objects.requireNonNull(uri, "uri");
        this.name = Objects.requireNonNull(name, "name");
        this.temporary = temporary;
    }

    /**
     * The broker of {@code uri}, with broker-side names starting with {@code name}; nothing is connected yet.
     *
     * @param temporary whether {@link #close()} deletes what {@link #declare()} created (the round trip's)
     */
    static EventBroker of(BrokerUri uri, String name, boolean temporary) {
        return switch (uri.kind()) {
            case RABBITMQ -> new RabbitEventBroker(uri, name, temporary);
            case NATS -> new JetStreamEventBroker(uri, name, temporary);
            case KAFKA -> new KafkaEventBroker(uri, name, temporary);
        };
    }

    /** The broker's URI (its {@code toString()} is redacted). */
    BrokerUri uri() {
        return uri;
    }

    /** The prefix of the names this broker declares. */
    String name() {
        return name;
    }

    /** Whether {@link #close()} deletes what {@link #declare()} created. */
    boolean temporary() {
        return temporary;
    }

    /**
     * {@link #declare()}, failing with a message that names the broker (its URI redacted), which the clients'
     * own messages rarely do ("Connection refused").
     *
     * @throws IllegalStateException if the broker cannot be reached or refuses what the demo declares
     */
    final void setUp() throws InterruptedException {
        try {
            declare();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Could not set up " + describe() + ": " + e, e);
        }
    }

    /** Creates what the demo needs on the broker, where it is missing. */
    abstract void declare() throws Exception;

    /** The outbox destination of {@code post.published}: an exchange and routing key, a subject, a topic. */
    abstract String destination();

    /** One line for people: the broker, its redacted URI and what the demo uses on it. */
    abstract String describe();

    /** The library's publisher the relay sends {@link #destination()} messages with; built on first use. */
    abstract OutboxPublisher publisher();

    /** Starts the library's inbox consumer on what {@link #declare()} created, running {@code handler}. */
    abstract void startConsumer(JdbcInbox inbox, Handler handler);

    /**
     * Publishes {@code message} again, with its id, as a relay does after a crash between publishing and
     * marking; for the round trip.
     *
     * @throws IllegalStateException if the broker did not take it
     */
    Republication republish(OutboxMessage message) throws Exception {
        requireDelivered(publisher().publish(message, 2));
        return Republication.DELIVERED;
    }

    static void requireDelivered(PublishResult result) {
        if (!(result instanceof PublishResult.Delivered)) {
            throw new IllegalStateException("the broker did not take the message again: " + result);
        }
    }

    /** Deletes what {@link #declare()} created; called by {@link #close()} when {@link #temporary()}. */
    abstract void delete() throws Exception;

    /** Stops the consumer and closes the publisher, those of them that were started. */
    abstract void closeClients() throws InterruptedException;

    /** Stops the consumer, closes the publisher, and deletes the temporary names. */
    @Override
    public final synchronized void close() {
        try {
            closeClients();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (temporary) {
                try {
                    delete();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    throw new IllegalStateException("Could not delete what the round trip declared on " + describe()
                            + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
