package dev.idempotency.examples;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.rabbitmq.RabbitInboxConsumer;
import dev.idempotency.rabbitmq.RabbitPublisher;
import java.time.Duration;
import java.util.Map;

/**
 * {@code --broker amqp://...}: RabbitMQ. The demo declares, when missing, a durable direct exchange
 * {@code <name>}, a durable queue {@code <name>.post-published} bound to it with the routing key
 * {@value #ROUTING_KEY}, and a dead-letter exchange and queue {@code <name>.dead-letter} for what the consumer
 * gives up on (without one, RabbitMQ would drop it). Events are enqueued to {@code <name>/post.published}.
 */
final class RabbitEventBroker extends EventBroker {

    static final String ROUTING_KEY = PostEvents.PUBLISHED;

    /** Each network call, well under the relay's lease, as docs/messaging-rabbitmq.md advises. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private RabbitPublisher publisher;
    private RabbitInboxConsumer consumer;

    RabbitEventBroker(BrokerUri uri, String name, boolean temporary) {
        super(uri, name, temporary);
    }

    private String exchange() {
        return name();
    }

    private String queue() {
        return name() + ".post-published";
    }

    private String deadLetter() {
        return name() + ".dead-letter";
    }

    @Override
    void declare() throws Exception {
        try (Connection connection = connect(); Channel channel = connection.createChannel()) {
            // Declaring what exists with the same settings is a no-op, so a restart declares again harmlessly.
            channel.exchangeDeclare(deadLetter(), BuiltinExchangeType.FANOUT, true);
            channel.queueDeclare(deadLetter(), true, false, false, null);
            channel.queueBind(deadLetter(), deadLetter(), "");
            channel.exchangeDeclare(exchange(), BuiltinExchangeType.DIRECT, true);
            channel.queueDeclare(queue(), true, false, false, Map.of("x-dead-letter-exchange", deadLetter()));
            channel.queueBind(queue(), exchange(), ROUTING_KEY);
        }
    }

    /** A connection for declaring and deleting, from the URI (which the client reads itself). */
    private Connection connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri().uri());
        factory.setConnectionTimeout((int) TIMEOUT.toMillis());
        return factory.newConnection(name() + "-setup");
    }

    @Override
    String destination() {
        return RabbitPublisher.destination(exchange(), ROUTING_KEY);
    }

    @Override
    String describe() {
        return "RabbitMQ at " + uri() + ", exchange " + exchange() + ", queue " + queue();
    }

    @Override
    synchronized OutboxPublisher publisher() {
        if (publisher == null) {
            publisher = RabbitPublisher.builder().uri(uri().uri()).timeout(TIMEOUT).build();
        }
        return publisher;
    }

    @Override
    synchronized void startConsumer(JdbcInbox inbox, Handler handler) {
        consumer = RabbitInboxConsumer.builder(inbox)
                .uri(uri().uri())
                .queue(queue())
                .consumerName(INBOX_CONSUMER)
                .handler((messageId, delivery) -> handler.handle(messageId, delivery.getBody()))
                .build()
                .start();
    }

    @Override
    void delete() throws Exception {
        try (Connection connection = connect(); Channel channel = connection.createChannel()) {
            channel.queueDelete(queue());
            channel.exchangeDelete(exchange());
            channel.queueDelete(deadLetter());
            channel.exchangeDelete(deadLetter());
        }
    }

    @Override
    synchronized void closeClients() {
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
