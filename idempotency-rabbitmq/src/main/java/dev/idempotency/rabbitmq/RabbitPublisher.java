package dev.idempotency.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.rabbitmq.internal.AmqpEndpoint;
import dev.idempotency.rabbitmq.internal.Destination;
import java.io.IOException;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes outbox messages to RabbitMQ, each one confirmed by the broker before it counts as delivered.
 *
 * <p>Each attempt publishes the message's payload, byte for byte, to the exchange and routing key its
 * {@link OutboxMessage#destination() destination} names ({@code exchange/routing-key}, split at the first
 * {@code /}; {@code /queue-name} for the default exchange: see {@link #destination}), with:
 * <ul>
 *   <li>the message's {@link OutboxMessage#id() id} as the AMQP {@code message-id} property, the same on every
 *       attempt, for consumers to deduplicate on ({@link RabbitInboxConsumer} does);</li>
 *   <li>every header of the message as an AMQP header of the same name with its value as a string (a W3C
 *       {@code traceparent} too, so the trace continues at the consumer); a name given twice is sent once, its
 *       values joined with {@code ", "}; a {@code content-type} header is also set as the {@code content-type}
 *       property;</li>
 *   <li>persistent delivery mode (2), so a durable queue keeps it over a broker restart, and the message's
 *       creation time as the {@code timestamp} property;</li>
 *   <li>the {@code mandatory} flag, so a message that no queue receives comes back instead of vanishing.</li>
 * </ul>
 *
 * <p>The publication waits for the broker's confirm (publisher confirms). How the outcome maps to a
 * {@link PublishResult}:
 * <table>
 * <caption>Outcome to result</caption>
 * <tr><th>Outcome</th><th>Result</th></tr>
 * <tr><td>confirmed (ack) and not returned</td><td>delivered</td></tr>
 * <tr><td>returned as unroutable (no queue bound for the routing key)</td><td>retry: the relay backs off and
 * tries again, and marks it dead after its maximum attempts</td></tr>
 * <tr><td>negatively confirmed (nack), no confirm within the {@linkplain Builder#timeout timeout}, a channel
 * closed by the broker (an exchange that does not exist, access refused), a connection refused, cut or blocked
 * by the broker's resource alarm</td><td>retry</td></tr>
 * <tr><td>a destination that is not {@code exchange/routing-key}, a name, routing key or id longer than AMQP's
 * 255 bytes</td><td>rejected, without publishing</td></tr>
 * </table>
 * A missing exchange is retried rather than rejected: exchanges are declared by deployments and consumers that may
 * come up after the publisher, and the relay's maximum attempts still end a message that never finds one.
 *
 * <p>The publisher keeps one connection, opened at the first publication and opened again after it was lost,
 * and up to {@link Builder#maxChannels maxChannels} channels in confirm mode, one per publication in progress:
 * set it to at least the relay's {@code publishConcurrency}. Every network call is bounded by the
 * {@linkplain Builder#timeout timeout}: connecting, the handshake, opening a channel, and the wait for the
 * confirm; an attempt that must connect first takes at most about three times the timeout, well under the
 * relay's default lease of 60 seconds with the default of {@value #DEFAULT_TIMEOUT_SECONDS} seconds. Instances
 * are safe for concurrent use; close the publisher after the relay that uses it.
 */
public final class RabbitPublisher implements OutboxPublisher, AutoCloseable {

    /** The default bound on each network call, in seconds. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 10;

    /** The default bound on each network call of an attempt. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);

    /** The default number of channels, the relay's default publish concurrency. */
    public static final int DEFAULT_MAX_CHANNELS = 8;

    /** AMQP's persistent delivery mode. */
    static final int PERSISTENT = 2;

    private static final System.Logger LOG = System.getLogger(RabbitPublisher.class.getName());

    private final AmqpEndpoint endpoint;
    private final ConnectionFactory factory;
    private final Duration timeout;
    private final int maxChannels;
    private final BlockingQueue<ConfirmChannel> idle;
    private final Object connectionLock = new Object();
    private Connection connection;
    private int openChannels;
    private volatile String blockedReason;
    private volatile boolean closed;

    private RabbitPublisher(Builder builder) {
        this.endpoint = builder.endpoint;
        this.timeout = builder.timeout;
        this.maxChannels = builder.maxChannels;
        this.factory = endpoint.factory(timeout, null);
        this.idle = new ArrayBlockingQueue<>(maxChannels);
    }

    /**
     * A builder; {@link Builder#uri uri} or {@link Builder#connectionFactory connectionFactory} is required.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The destination text for {@code exchange} and {@code routingKey}, to give an {@link OutboxMessage}:
     * {@code exchange + "/" + routingKey}.
     *
     * @param exchange the exchange, {@code ""} for the default exchange (which routes to the queue named by the
     *     routing key); it must not contain {@code /}
     * @throws IllegalArgumentException if the exchange contains {@code /}, or a part is longer than 255 bytes
     */
    public static String destination(String exchange, String routingKey) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        if (exchange.indexOf('/') >= 0) {
            throw new IllegalArgumentException("The exchange name '" + exchange + "' contains '/', which separates it "
                    + "from the routing key in a destination");
        }
        Destination destination = new Destination(exchange, routingKey);
        Destination.requireShort("exchange", exchange);
        Destination.requireShort("routing key", routingKey);
        return destination.text();
    }

    /**
     * Publishes {@code message} and waits for the broker's confirm.
     *
     * @param attempt the attempt's number, from 1 (named in errors)
     * @return delivered, retry or rejected, as the class description maps them; never {@code null}
     * @throws InterruptedException if the thread was interrupted while waiting for the confirm: nothing is known
     *     about whether the broker took the message
     * @throws IllegalStateException if the publisher was closed
     */
    @Override
    public PublishResult publish(OutboxMessage message, int attempt) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        if (closed) {
            throw new IllegalStateException("This RabbitPublisher was closed");
        }
        Destination destination;
        AMQP.BasicProperties properties;
        try {
            destination = Destination.parse(message.destination());
            Destination.requireShort("message id", message.id());
            properties = properties(message);
        } catch (IllegalArgumentException e) {
            return PublishResult.rejected("Cannot publish message " + message.id() + ": " + e.getMessage());
        }
        String where = "exchange '" + destination.exchange() + "' with routing key '" + destination.routingKey()
                + "' at " + endpoint;
        String blocked = blockedReason;
        if (blocked != null) {
            return PublishResult.retry("The broker at " + endpoint + " blocks publishing (" + blocked + "), attempt "
                    + attempt + "; not published");
        }
        ConfirmChannel channel;
        try {
            channel = borrow();
        } catch (IOException | TimeoutException | RuntimeException e) {
            return PublishResult.retry("Could not open a channel to " + endpoint + " (attempt " + attempt + "): "
                    + describe(e));
        }
        boolean healthy = false;
        try {
            channel.returned = null;
            channel.channel.basicPublish(destination.exchange(), destination.routingKey(), true, properties,
                    message.payload());
            if (!channel.channel.waitForConfirms(timeout.toMillis())) {
                healthy = true;
                return PublishResult.retry("The broker refused message " + message.id() + " for " + where
                        + " (negative confirm, attempt " + attempt + ")");
            }
            healthy = true;
            String returned = channel.returned;
            if (returned != null) {
                return PublishResult.retry("Message " + message.id() + " is unroutable: no queue is bound to " + where
                        + " (" + returned + ", attempt " + attempt + ")");
            }
            return PublishResult.delivered();
        } catch (TimeoutException e) {
            return PublishResult.retry("No confirm for message " + message.id() + " from " + where + " within "
                    + timeout.toMillis() + " ms (attempt " + attempt + ")");
        } catch (IOException | ShutdownSignalException e) {
            return PublishResult.retry("Could not publish message " + message.id() + " to " + where + " (attempt "
                    + attempt + "): " + describe(e));
        } finally {
            if (healthy) {
                release(channel);
            } else {
                discard(channel);
            }
        }
    }

    /** The bound on each network call. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Closes the channels and the connection. Idempotent; a publication in progress fails with a retry.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (connectionLock) {
            idle.clear();
            if (connection != null) {
                try {
                    connection.close((int) timeout.toMillis());
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "Closing the connection to " + endpoint + " failed", e);
                }
                connection = null;
            }
        }
    }

    @Override
    public String toString() {
        return "RabbitPublisher[" + endpoint + ", timeout " + timeout + ", maxChannels " + maxChannels
                + (closed ? ", closed" : "") + "]";
    }

    private static AMQP.BasicProperties properties(OutboxMessage message) {
        Map<String, Object> headers = new LinkedHashMap<>();
        String contentType = null;
        for (Header header : message.headers()) {
            Destination.requireShort("header name " + header.name(), header.name());
            headers.merge(header.name(), header.value(), (a, b) -> a + ", " + b);
            if (header.name().toLowerCase(Locale.ROOT).equals("content-type")) {
                contentType = header.value();
            }
        }
        return new AMQP.BasicProperties.Builder()
                .messageId(message.id())
                .deliveryMode(PERSISTENT)
                .contentType(contentType)
                .timestamp(Date.from(message.createdAt()))
                .headers(headers)
                .build();
    }

    /** An idle channel, or a new one while fewer than the maximum are open; waits at most the timeout. */
    private ConfirmChannel borrow() throws IOException, TimeoutException, InterruptedException {
        ConfirmChannel channel;
        while ((channel = idle.poll()) != null) {
            if (channel.channel.isOpen()) {
                return channel;
            }
            discard(channel);
        }
        synchronized (connectionLock) {
            if (openChannels < maxChannels) {
                Connection open = connection();
                Channel created = open.createChannel();
                if (created == null) {
                    throw new IOException("the broker allows no more channels on this connection");
                }
                openChannels++;
                ConfirmChannel confirming = new ConfirmChannel(created);
                try {
                    created.confirmSelect();
                } catch (IOException | RuntimeException e) {
                    discard(confirming);
                    throw e;
                }
                created.addReturnListener(returned -> confirming.returned = "returned with " + returned.getReplyCode()
                        + " " + returned.getReplyText());
                return confirming;
            }
        }
        channel = idle.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (channel == null) {
            throw new TimeoutException("all " + maxChannels + " channels stayed busy for " + timeout.toMillis()
                    + " ms; set maxChannels to at least the relay's publishConcurrency");
        }
        return channel;
    }

    /** The open connection, opened now if there is none. Called holding the connection lock. */
    private Connection connection() throws IOException, TimeoutException {
        if (closed) {
            throw new IllegalStateException("This RabbitPublisher was closed");
        }
        if (connection == null || !connection.isOpen()) {
            if (connection != null) {
                connection.abort((int) timeout.toMillis());
            }
            connection = null;
            openChannels = 0;
            idle.clear();
            blockedReason = null;
            Connection opened = factory.newConnection("idempotency-outbox-publisher");
            opened.addBlockedListener(new BlockedListener() {
                @Override
                public void handleBlocked(String reason) {
                    blockedReason = reason;
                }

                @Override
                public void handleUnblocked() {
                    blockedReason = null;
                }
            });
            connection = opened;
        }
        return connection;
    }

    private void release(ConfirmChannel channel) {
        if (closed || !channel.channel.isOpen() || !idle.offer(channel)) {
            discard(channel);
        }
    }

    /** Closes a channel whose state is unknown (a confirm may still come) or broken, and frees its place. */
    private void discard(ConfirmChannel channel) {
        synchronized (connectionLock) {
            if (channel.channel.getConnection() == connection && openChannels > 0) {
                openChannels--;
            }
        }
        try {
            channel.channel.abort();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "Aborting a channel to " + endpoint + " failed", e);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof ShutdownSignalException shutdown) {
            Object reason = shutdown.getReason();
            if (reason instanceof AMQP.Channel.Close close) {
                return "the broker closed the channel: " + close.getReplyCode() + " " + close.getReplyText();
            }
            if (reason instanceof AMQP.Connection.Close close) {
                return "the broker closed the connection: " + close.getReplyCode() + " " + close.getReplyText();
            }
            return "the connection was lost" + (shutdown.getMessage() == null ? "" : ": " + shutdown.getMessage());
        }
        if (e.getCause() instanceof ShutdownSignalException shutdown) {
            return describe(shutdown);
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** A channel in confirm mode, used by one publication at a time, and what the broker returned of it. */
    private static final class ConfirmChannel {

        final Channel channel;
        /** Set by the connection's reader thread before it delivers the confirm of the same publication. */
        volatile String returned;

        ConfirmChannel(Channel channel) {
            this.channel = channel;
        }
    }

    /** Builds a {@link RabbitPublisher}: where to connect is required, the rest has defaults. */
    public static final class Builder {

        private AmqpEndpoint endpoint;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxChannels = DEFAULT_MAX_CHANNELS;

        private Builder() {
        }

        /**
         * The broker, as {@code amqp://user:password@host:port/vhost}; the password never appears in messages or
         * {@code toString}. For TLS, use {@link #connectionFactory} instead.
         *
         * @throws IdempotencyConfigException if it is not an {@code amqp://} URI
         */
        public Builder uri(String uri) {
            this.endpoint = AmqpEndpoint.ofUri("uri", uri);
            return this;
        }

        /**
         * The broker, as a factory configured by the application (TLS, credentials providers, client properties).
         * The publisher uses a copy, with its own timeouts and without automatic recovery (it reconnects itself).
         */
        public Builder connectionFactory(ConnectionFactory factory) {
            this.endpoint = AmqpEndpoint.ofFactory(factory);
            return this;
        }

        /**
         * The bound on each network call of an attempt (connecting, opening a channel, waiting for the confirm);
         * default {@value RabbitPublisher#DEFAULT_TIMEOUT_SECONDS} seconds. Keep it well under the relay's lease.
         *
         * @throws IdempotencyConfigException if not from 1 ms to 10 minutes
         */
        public Builder timeout(Duration timeout) {
            this.timeout = AmqpEndpoint.requireNetworkBound("timeout", timeout, "PT10S");
            return this;
        }

        /**
         * How many channels (so publications) may be in progress at once; default
         * {@value RabbitPublisher#DEFAULT_MAX_CHANNELS}, the relay's default publish concurrency.
         *
         * @throws IdempotencyConfigException if not from 1 to 1000
         */
        public Builder maxChannels(int maxChannels) {
            if (maxChannels < 1 || maxChannels > 1000) {
                throw IdempotencyConfigException.invalid("maxChannels", maxChannels, "a number from 1 to 1000");
            }
            this.maxChannels = maxChannels;
            return this;
        }

        /**
         * The publisher; it connects at its first publication.
         *
         * @throws IdempotencyConfigException if neither a URI nor a connection factory was given
         */
        public RabbitPublisher build() {
            if (endpoint == null) {
                throw IdempotencyConfigException.missing("uri", "give the broker as uri(\"amqp://...\") or "
                        + "connectionFactory(factory)");
            }
            return new RabbitPublisher(this);
        }
    }
}
