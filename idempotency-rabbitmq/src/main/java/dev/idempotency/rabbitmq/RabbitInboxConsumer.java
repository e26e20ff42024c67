package dev.idempotency.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.InboxResult;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.rabbitmq.internal.AmqpEndpoint;
import dev.idempotency.spi.StoreUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Consumes a RabbitMQ queue and applies each message once: the {@link RabbitInboxHandler} runs inside
 * {@link JdbcInbox#process(String, String, byte[], dev.idempotency.jdbc.inbox.InboxWork) JdbcInbox.process}, so its
 * writes and the message's marker commit in one transaction, and the delivery is acknowledged only after that
 * commit. A redelivery of a message already applied (the consumer died after the commit and before the ack, the
 * relay published it twice) finds the marker: it is acknowledged and the handler does not run again.
 *
 * <p>What becomes of each delivery (manual acknowledgements, never auto-ack):
 * <table>
 * <caption>Delivery to acknowledgement</caption>
 * <tr><th>Delivery</th><th>Acknowledgement</th></tr>
 * <tr><td>applied (handler returned, committed), or a duplicate of one applied before</td><td>{@code basicAck},
 * after the commit</td></tr>
 * <tr><td>the handler threw</td><td>{@code basicNack} with requeue after the
 * {@linkplain Builder#redeliveryDelay redelivery delay}; at the {@linkplain Builder#maxAttempts maximum attempts},
 * {@code basicReject} without requeue, which sends it to the queue's dead-letter exchange</td></tr>
 * <tr><td>the database could not be reached, or the commit failed for a reason a retry fixes
 * ({@code StoreUnavailableException})</td><td>{@code basicNack} with requeue after the redelivery delay, not counted
 * as an attempt: an outage of the database does not dead-letter the messages that arrive during it</td></tr>
 * <tr><td>no id: no {@code message-id} property, and the {@link MessageIdExtractor} found none</td><td>refused, never
 * applied: {@code basicReject} without requeue (dead-lettered) and a warning</td></tr>
 * <tr><td>an id applied before with another payload ({@code InboxResult.Reused})</td><td>refused:
 * {@code basicReject} without requeue (dead-lettered) and a warning</td></tr>
 * </table>
 * Attempts are counted from the {@code x-delivery-count} header where the broker sets one (quorum queues), and
 * otherwise by this consumer in memory, per message id, so a restarted consumer counts afresh. Declare the queue
 * with a dead-letter exchange ({@code x-dead-letter-exchange}, or a policy): without one the broker drops what is
 * rejected.
 *
 * <p>The consumer opens one connection with automatic recovery: after a cut connection or a broker restart it
 * reconnects every {@linkplain Builder#recoveryInterval recovery interval} and consumes again. Deliveries that were
 * not acknowledged when the connection was lost come again, and the inbox recognises the ones already applied.
 * It consumes on {@linkplain Builder#concurrency concurrency} channels, each with its own thread
 * ({@code idempotency-rabbitmq-consumer-<n>}) and the {@linkplain Builder#prefetch prefetch}; each channel handles
 * its deliveries one after another, in the order the broker sent them. Each delivery in progress holds one pooled
 * connection of the inbox's pool.
 *
 * <p>{@link #start()} connects and starts consuming; {@link #close()} stops. Thread-safe.
 */
public final class RabbitInboxConsumer implements AutoCloseable {

    /** Unacknowledged deliveries per channel unless configured. */
    public static final int DEFAULT_PREFETCH = 16;

    /** Channels, so deliveries handled at once, unless configured. */
    public static final int DEFAULT_CONCURRENCY = 1;

    /** Attempts of a message whose handler throws before it is dead-lettered, unless configured. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;

    /** How long a failed delivery waits before it is given back, unless configured. */
    public static final Duration DEFAULT_REDELIVERY_DELAY = Duration.ofSeconds(1);

    /** The bound on each network call that waits for an answer unless configured. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** How long automatic recovery waits between attempts to reconnect, unless configured. */
    public static final Duration DEFAULT_RECOVERY_INTERVAL = Duration.ofSeconds(2);

    /** Message ids whose attempts are counted in memory at most; the oldest are forgotten beyond. */
    static final int MAX_COUNTED_MESSAGES = 10_000;

    /** The header a quorum queue sets to the number of earlier deliveries. */
    static final String DELIVERY_COUNT_HEADER = "x-delivery-count";

    private static final System.Logger LOG = System.getLogger(RabbitInboxConsumer.class.getName());
    private static final AtomicInteger CONSUMERS = new AtomicInteger();

    private final JdbcInbox inbox;
    private final AmqpEndpoint endpoint;
    private final String queue;
    private final String consumerName;
    private final RabbitInboxHandler handler;
    private final MessageIdExtractor extractor;
    private final int prefetch;
    private final int concurrency;
    private final int maxAttempts;
    private final Duration redeliveryDelay;
    private final Duration timeout;
    private final ConnectionFactory factory;
    /** Attempts per message id, for queues whose broker counts none; the least recently failed forgotten first. */
    private final Map<String, Integer> attempts = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > MAX_COUNTED_MESSAGES;
        }
    };
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<Channel> channels = new ArrayList<>();
    /** Chosen here rather than by the broker, so that they stay the same when recovery consumes again. */
    private final Map<Channel, String> consumerTags = new IdentityHashMap<>();
    private ExecutorService threads;
    private Connection connection;
    private boolean started;
    private volatile boolean closed;

    private RabbitInboxConsumer(Builder builder) {
        this.inbox = builder.inbox;
        this.endpoint = builder.endpoint;
        this.queue = builder.queue;
        this.consumerName = builder.consumerName != null ? builder.consumerName : builder.queue;
        this.handler = builder.handler;
        this.extractor = builder.extractor;
        this.prefetch = builder.prefetch;
        this.concurrency = builder.concurrency;
        this.maxAttempts = builder.maxAttempts;
        this.redeliveryDelay = builder.redeliveryDelay;
        this.timeout = builder.timeout;
        this.factory = endpoint.factory(timeout, builder.recoveryInterval);
    }

    /**
     * A builder for a consumer applying messages through {@code inbox}; {@link Builder#uri uri} (or
     * {@link Builder#connectionFactory connectionFactory}), {@link Builder#queue queue} and
     * {@link Builder#handler handler} are required.
     */
    public static Builder builder(JdbcInbox inbox) {
        return new Builder(Objects.requireNonNull(inbox, "inbox"));
    }

    /**
     * Connects and starts consuming. Calling it again does nothing.
     *
     * @return this consumer
     * @throws UncheckedIOException if the broker could not be reached, or refused the consumer (the message names
     *     the broker without its password)
     * @throws IdempotencyConfigException if the queue does not exist
     * @throws IllegalStateException if the consumer was closed
     */
    public synchronized RabbitInboxConsumer start() {
        if (closed) {
            throw new IllegalStateException("This RabbitInboxConsumer was closed; build a new one");
        }
        if (started) {
            return this;
        }
        int number = CONSUMERS.incrementAndGet();
        AtomicInteger threadNumber = new AtomicInteger();
        threads = Executors.newFixedThreadPool(concurrency, task -> {
            Thread thread = new Thread(task, "idempotency-rabbitmq-consumer-" + number + "-"
                    + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            connection = factory.newConnection(threads, "idempotency-inbox-consumer " + consumerName);
            requireQueue();
            for (int i = 0; i < concurrency; i++) {
                Channel channel = connection.createChannel();
                channel.basicQos(prefetch);
                String tag = "idempotency-inbox-" + number + "-" + (i + 1);
                channel.basicConsume(queue, false, tag, new InboxDeliveries(channel));
                channels.add(channel);
                consumerTags.put(channel, tag);
            }
        } catch (IOException | TimeoutException e) {
            stopQuietly();
            throw new UncheckedIOException("Could not consume queue '" + queue + "' at " + endpoint + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    e instanceof IOException io ? io : new IOException(e.getMessage(), e));
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        }
        started = true;
        return this;
    }

    /**
     * Stops consuming: cancels the consumers, waits up to the {@linkplain Builder#timeout timeout} for the
     * deliveries in progress, then closes the connection. Deliveries not acknowledged by then come again, to this
     * consumer's successor. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closing.countDown();
        for (Channel channel : channels) {
            try {
                if (channel.isOpen()) {
                    channel.basicCancel(consumerTags.get(channel));
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.DEBUG, "Cancelling a consumer of queue '" + queue + "' failed", e);
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stopQuietly();
    }

    /** The queue consumed. */
    public String queue() {
        return queue;
    }

    /** The consumer name the inbox keeps markers under. */
    public String consumerName() {
        return consumerName;
    }

    @Override
    public String toString() {
        return "RabbitInboxConsumer[queue '" + queue + "' at " + endpoint + ", consumer '" + consumerName
                + "', concurrency " + concurrency + ", prefetch " + prefetch + (closed ? ", closed" : "") + "]";
    }

    private void requireQueue() throws IOException {
        Channel check = connection.createChannel();
        try {
            check.queueDeclarePassive(queue);
        } catch (IOException e) {
            if (e.getCause() instanceof ShutdownSignalException shutdown
                    && shutdown.getReason() instanceof AMQP.Channel.Close close && close.getReplyCode() == 404) {
                throw IdempotencyConfigException.invalid("queue", queue, "a queue that exists at " + endpoint
                        + " (the consumer does not declare it; declare it with its dead-letter exchange first)");
            }
            throw e;
        } finally {
            if (check.isOpen()) {
                try {
                    check.close();
                } catch (IOException | TimeoutException | RuntimeException e) {
                    LOG.log(Level.DEBUG, "Closing a channel failed", e);
                }
            }
        }
    }

    private void stopQuietly() {
        Connection open = connection;
        if (open != null) {
            try {
                open.close((int) timeout.toMillis());
            } catch (IOException | RuntimeException e) {
                open.abort((int) timeout.toMillis());
            }
        }
        if (threads != null) {
            threads.shutdown();
            try {
                if (!threads.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    threads.shutdownNow();
                }
            } catch (InterruptedException e) {
                threads.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Handles one delivery, from finding its id to its acknowledgement. */
    private void handle(Channel channel, Delivery delivery) {
        long tag = delivery.getEnvelope().getDeliveryTag();
        String messageId = messageId(delivery);
        if (messageId == null) {
            LOG.log(Level.WARNING, "Refused a message of queue '" + queue + "' (exchange '"
                    + delivery.getEnvelope().getExchange() + "', routing key '" + delivery.getEnvelope().getRoutingKey()
                    + "'): it has no message-id property and the MessageIdExtractor found no id, so the inbox could "
                    + "not apply it once. It was rejected without requeue (to the queue's dead-letter exchange).");
            reject(channel, tag, null);
            return;
        }
        InboxResult<Void> result;
        try {
            result = inbox.process(consumerName, messageId, delivery.getBody(), () -> {
                handler.handle(messageId, delivery);
                return null;
            });
        } catch (StoreUnavailableException e) {
            LOG.log(Level.WARNING, "Message " + messageId + " of queue '" + queue + "' could not be applied: the "
                    + "database is unavailable; it is given back for redelivery in " + redeliveryDelay, e);
            pause();
            nack(channel, tag, messageId);
            return;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Exception | Error e) {
            // An Error of the handler (an assertion, a linkage error) is a failed attempt too: let out, it would
            // close the channel, and the consumer would go on with one channel fewer.
            failed(channel, delivery, messageId, e);
            return;
        }
        forget(messageId);
        if (result instanceof InboxResult.Reused) {
            LOG.log(Level.WARNING, "Refused message " + messageId + " of queue '" + queue + "': its id was applied "
                    + "before with another payload. It was rejected without requeue (to the queue's dead-letter "
                    + "exchange).");
            reject(channel, tag, messageId);
            return;
        }
        try {
            channel.basicAck(tag, false);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.INFO, "Could not acknowledge message " + messageId + " of queue '" + queue + "' after "
                    + "its commit; it comes again and is then recognised as a duplicate", e);
        }
    }

    private void failed(Channel channel, Delivery delivery, String messageId, Throwable failure) {
        long tag = delivery.getEnvelope().getDeliveryTag();
        int attempt = attempt(delivery, messageId);
        if (attempt >= maxAttempts) {
            forget(messageId);
            LOG.log(Level.WARNING, "Message " + messageId + " of queue '" + queue + "' failed " + attempt
                    + " times, the maximum; rejected without requeue (to the queue's dead-letter exchange)", failure);
            reject(channel, tag, messageId);
            return;
        }
        LOG.log(Level.WARNING, "Message " + messageId + " of queue '" + queue + "' failed (attempt " + attempt + " of "
                + maxAttempts + "); nothing was committed, and it is given back for redelivery in "
                + redeliveryDelay, failure);
        pause();
        nack(channel, tag, messageId);
    }

    /** This delivery's attempt number, from 1. */
    private int attempt(Delivery delivery, String messageId) {
        Map<String, Object> headers = delivery.getProperties().getHeaders();
        Object count = headers == null ? null : headers.get(DELIVERY_COUNT_HEADER);
        if (count instanceof Number number) {
            return (int) Math.min(Integer.MAX_VALUE, number.longValue() + 1);
        }
        synchronized (attempts) {
            return attempts.merge(messageId, 1, Integer::sum);
        }
    }

    private void forget(String messageId) {
        synchronized (attempts) {
            attempts.remove(messageId);
        }
    }

    private String messageId(Delivery delivery) {
        String id = delivery.getProperties().getMessageId();
        if (id != null && !id.isEmpty()) {
            return id;
        }
        try {
            id = extractor.messageId(delivery);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "The MessageIdExtractor failed on a message of queue '" + queue + "'", e);
            return null;
        }
        return id == null || id.isEmpty() ? null : id;
    }

    /** Waits the redelivery delay, so that a failing handler or database is not retried in a tight loop. */
    private void pause() {
        try {
            closing.await(redeliveryDelay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void nack(Channel channel, long tag, String messageId) {
        try {
            channel.basicNack(tag, false, true);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "Could not give back message " + messageId + "; the broker redelivers it when the "
                    + "channel closes", e);
        }
    }

    private void reject(Channel channel, long tag, String messageId) {
        try {
            channel.basicReject(tag, false);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.INFO, "Could not reject message " + messageId + "; the broker redelivers it when the "
                    + "channel closes, and it is refused again", e);
        }
    }

    /** The deliveries of one channel, handled one after another on its dispatch thread. */
    private final class InboxDeliveries extends DefaultConsumer {

        InboxDeliveries(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                byte[] body) {
            inFlight.incrementAndGet();
            try {
                handle(getChannel(), new Delivery(envelope, properties, body));
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    /** Builds a {@link RabbitInboxConsumer}. */
    public static final class Builder {

        private final JdbcInbox inbox;
        private AmqpEndpoint endpoint;
        private String queue;
        private String consumerName;
        private RabbitInboxHandler handler;
        private MessageIdExtractor extractor = MessageIdExtractor.none();
        private int prefetch = DEFAULT_PREFETCH;
        private int concurrency = DEFAULT_CONCURRENCY;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration redeliveryDelay = DEFAULT_REDELIVERY_DELAY;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration recoveryInterval = DEFAULT_RECOVERY_INTERVAL;

        private Builder(JdbcInbox inbox) {
            this.inbox = inbox;
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
         * The broker, as a factory configured by the application (TLS, credentials providers). The consumer uses a
         * copy, with its own timeouts and automatic recovery.
         */
        public Builder connectionFactory(ConnectionFactory factory) {
            this.endpoint = AmqpEndpoint.ofFactory(factory);
            return this;
        }

        /**
         * The queue to consume, which must exist (declared with its dead-letter exchange).
         *
         * @throws IdempotencyConfigException if empty or longer than 255 bytes
         */
        public Builder queue(String queue) {
            Objects.requireNonNull(queue, "queue");
            if (queue.isEmpty() || queue.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw IdempotencyConfigException.invalid("queue", queue, "a queue name of 1 to 255 bytes");
            }
            this.queue = queue;
            return this;
        }

        /**
         * The name the inbox keeps this consumer's markers under; default the queue's name. Consumers of different
         * queues that apply the same messages to different effects need different names.
         *
         * @throws IdempotencyConfigException if empty or longer than {@value JdbcInbox#MAX_CONSUMER_LENGTH}
         *     characters
         */
        public Builder consumerName(String consumerName) {
            Objects.requireNonNull(consumerName, "consumerName");
            if (consumerName.isEmpty() || consumerName.length() > JdbcInbox.MAX_CONSUMER_LENGTH) {
                throw IdempotencyConfigException.invalid("consumerName", consumerName,
                        "a name of 1 to " + JdbcInbox.MAX_CONSUMER_LENGTH + " characters");
            }
            this.consumerName = consumerName;
            return this;
        }

        /** What applies each message, inside the inbox's transaction. Required. */
        public Builder handler(RabbitInboxHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Finds the id of a message without a {@code message-id} property; default {@link MessageIdExtractor#none()},
         * which refuses such messages.
         */
        public Builder messageIdExtractor(MessageIdExtractor extractor) {
            this.extractor = Objects.requireNonNull(extractor, "extractor");
            return this;
        }

        /**
         * Unacknowledged deliveries the broker sends each channel ahead ({@code basic.qos}); default
         * {@value RabbitInboxConsumer#DEFAULT_PREFETCH}.
         *
         * @throws IdempotencyConfigException if not from 1 to 65535
         */
        public Builder prefetch(int prefetch) {
            if (prefetch < 1 || prefetch > 65535) {
                throw IdempotencyConfigException.invalid("prefetch", prefetch, "a number from 1 to 65535");
            }
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Channels consuming the queue, each handling one delivery at a time on its own thread; default
         * {@value RabbitInboxConsumer#DEFAULT_CONCURRENCY}. More than one gives up the queue's order. Give the
         * inbox's pool at least this many connections.
         *
         * @throws IdempotencyConfigException if not from 1 to 256
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1 || concurrency > 256) {
                throw IdempotencyConfigException.invalid("concurrency", concurrency, "a number from 1 to 256");
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * Deliveries of a message whose handler throws, the last of which is dead-lettered; default
         * {@value RabbitInboxConsumer#DEFAULT_MAX_ATTEMPTS}.
         *
         * @throws IdempotencyConfigException if not from 1 to 1000
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1 || maxAttempts > 1000) {
                throw IdempotencyConfigException.invalid("maxAttempts", maxAttempts, "a number from 1 to 1000");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * How long a failed delivery waits, holding its channel, before it is given back for redelivery; default 1
         * second. RabbitMQ redelivers a message given back at once, so this keeps a failing handler or database
         * from being retried in a tight loop.
         *
         * @throws IdempotencyConfigException if negative or over 10 minutes
         */
        public Builder redeliveryDelay(Duration redeliveryDelay) {
            Objects.requireNonNull(redeliveryDelay, "redeliveryDelay");
            if (redeliveryDelay.isNegative() || redeliveryDelay.compareTo(Duration.ofMinutes(10)) > 0) {
                throw IdempotencyConfigException.invalid("redeliveryDelay", redeliveryDelay,
                        "a duration from 0 to 10m, such as PT1S");
            }
            this.redeliveryDelay = redeliveryDelay;
            return this;
        }

        /**
         * The bound on each network call that waits for the broker (connecting, the handshake, opening a channel),
         * and on {@link #close()}'s wait for the deliveries in progress; default 10 seconds.
         *
         * @throws IdempotencyConfigException if not from 1 ms to 10 minutes
         */
        public Builder timeout(Duration timeout) {
            this.timeout = AmqpEndpoint.requireNetworkBound("timeout", timeout, "PT10S");
            return this;
        }

        /**
         * How long automatic recovery waits between attempts to reconnect after the connection was lost; default 2
         * seconds.
         *
         * @throws IdempotencyConfigException if not from 1 ms to 10 minutes
         */
        public Builder recoveryInterval(Duration recoveryInterval) {
            this.recoveryInterval = AmqpEndpoint.requireNetworkBound("recoveryInterval", recoveryInterval, "PT2S");
            return this;
        }

        /**
         * The consumer, not started yet.
         *
         * @throws IdempotencyConfigException if the broker, the queue or the handler is missing
         */
        public RabbitInboxConsumer build() {
            if (endpoint == null) {
                throw IdempotencyConfigException.missing("uri", "give the broker as uri(\"amqp://...\") or "
                        + "connectionFactory(factory)");
            }
            if (queue == null) {
                throw IdempotencyConfigException.missing("queue", "name the queue to consume");
            }
            if (handler == null) {
                throw IdempotencyConfigException.missing("handler", "give the code that applies each message");
            }
            return new RabbitInboxConsumer(this);
        }
    }
}
