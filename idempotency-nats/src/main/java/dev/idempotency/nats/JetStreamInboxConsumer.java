package dev.idempotency.nats;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.InboxResult;
import dev.idempotency.jdbc.inbox.InboxWork;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.nats.internal.NatsConnections;
import dev.idempotency.nats.internal.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Applies each message of a JetStream durable pull consumer once: it runs the application's
 * {@link JetStreamMessageHandler} inside {@link JdbcInbox#process(String, String, byte[], InboxWork)} (the
 * message's marker and the handler's writes through {@link JdbcInbox#transactionalDataSource()} commit together),
 * and acknowledges the message only after that commit.
 *
 * <pre>{@code
 * JetStreamInboxConsumer consumer = JetStreamInboxConsumer.builder()
 *         .connection(nats).stream("ORDERS").durable("billing")
 *         .inbox(inbox).handler((message, id) -> invoices.insert(db, message.getData()))
 *         .build().start();
 * // consumer.close() on shutdown
 * }</pre>
 *
 * <p>What each delivery becomes ({@link #apply(Message)}):
 * <table>
 * <caption>Delivery to action</caption>
 * <tr><th>Delivery</th><th>Action</th></tr>
 * <tr><td>applied now (handler ran, committed with its marker), or applied before (a duplicate: the handler does
 * not run)</td><td>{@code ack}, after the commit</td></tr>
 * <tr><td>the handler threw, or the database could not be reached or could not commit</td><td>{@code nak} with a
 * delay of {@code min(maxNakDelay, initialNakDelay × 2^(deliveries − 1))}: redelivered after it, until the
 * consumer's {@code max_deliver}, after which JetStream stops and publishes a {@code MAX_DELIVERIES}
 * advisory</td></tr>
 * <tr><td>no id: no {@code Nats-Msg-Id} header and no id from the {@link Builder#messageIdExtractor extractor}; or
 * an id the inbox had applied with another payload ({@link InboxResult.Reused})</td><td>refused: logged as a
 * warning and {@code term}inated (JetStream publishes a {@code MSG_TERMINATED} advisory and never redelivers it);
 * the handler does not run</td></tr>
 * </table>
 * A consumer process that dies before the commit leaves nothing committed, and JetStream redelivers the message
 * after the consumer's {@code ack_wait}; one that dies after the commit and before the acknowledgement gets the
 * message again, and the inbox reports it as a duplicate, which is acknowledged.
 *
 * <p>The durable consumer must exist on the stream, be a pull consumer and acknowledge explicitly
 * ({@code AckPolicy.Explicit}): {@link #start()} checks. Its {@code ack_wait} must exceed the handler's longest run
 * plus the commit; its {@code max_deliver} bounds the redeliveries of a message that keeps failing.
 *
 * <p>A started consumer fetches batches of up to {@link Builder#batchSize batchSize} messages on a thread of its
 * own and applies them on it, in stream order, or on {@link Builder#concurrency concurrency} threads. Thread-safe.
 */
public final class JetStreamInboxConsumer implements AutoCloseable {

    /** Messages fetched per pull unless configured. */
    public static final int DEFAULT_BATCH_SIZE = 64;

    /** How long one pull waits for messages unless configured. */
    public static final Duration DEFAULT_FETCH_WAIT = Duration.ofSeconds(1);

    /** The bound on connecting and on each JetStream request unless configured. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** The delay of the first {@code nak} unless configured. */
    public static final Duration DEFAULT_INITIAL_NAK_DELAY = Duration.ofSeconds(1);

    /** The longest {@code nak} delay unless configured. */
    public static final Duration DEFAULT_MAX_NAK_DELAY = Duration.ofMinutes(1);

    /** The header whose value is the inbox's message id, as the outbox's {@link JetStreamPublisher} sets it. */
    public static final String MESSAGE_ID_HEADER = JetStreamPublisher.MESSAGE_ID_HEADER;

    /** What {@link #apply(Message)} did with one delivery. */
    public enum Outcome {
        /** The handler ran and committed with the marker; the message was acknowledged. */
        APPLIED,
        /** The inbox had applied it before; the handler did not run; the message was acknowledged. */
        DUPLICATE,
        /** Nothing was committed; the message was {@code nak}ed with a delay, to come again. */
        REDELIVER,
        /** Refused (no id, or an id reused with another payload): the message was terminated, never to come again. */
        TERMINATED
    }

    private static final System.Logger LOG = System.getLogger(JetStreamInboxConsumer.class.getName());

    private final Connection connection;
    private final boolean ownsConnection;
    private final String servers;
    private final String stream;
    private final String durable;
    private final String inboxConsumer;
    private final JdbcInbox inbox;
    private final JetStreamMessageHandler handler;
    private final MessageIdExtractor extractor;
    private final int batchSize;
    private final int concurrency;
    private final Duration fetchWait;
    private final Duration timeout;
    private final Duration initialNakDelay;
    private final Duration maxNakDelay;
    private final boolean checkPayload;

    private final Object lifecycle = new Object();
    private volatile boolean running;
    private Thread fetcher;
    private ExecutorService workers;
    private JetStreamSubscription subscription;

    private JetStreamInboxConsumer(Builder builder, Connection connection, boolean ownsConnection) {
        this.connection = connection;
        this.ownsConnection = ownsConnection;
        this.servers = builder.url != null ? NatsConnections.redact(builder.url) : "(a connection given)";
        this.stream = builder.stream;
        this.durable = builder.durable;
        this.inboxConsumer = builder.inboxConsumer != null ? builder.inboxConsumer : builder.stream + "/" + builder.durable;
        this.inbox = builder.inbox;
        this.handler = builder.handler;
        this.extractor = builder.extractor;
        this.batchSize = builder.batchSize;
        this.concurrency = builder.concurrency;
        this.fetchWait = builder.fetchWait;
        this.timeout = builder.timeout;
        this.initialNakDelay = builder.initialNakDelay;
        this.maxNakDelay = builder.maxNakDelay;
        this.checkPayload = builder.checkPayload;
    }

    /** A builder; stream, durable, inbox, handler and a url or connection are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Checks the durable consumer and starts fetching and applying its messages on a thread of its own
     * ({@code idempotency-jetstream-<durable>}), until {@link #close()}.
     *
     * @return this
     * @throws IllegalStateException if the stream or the durable consumer does not exist, is a push consumer or
     *     does not acknowledge explicitly, or if this consumer was started already
     * @throws java.io.UncheckedIOException if JetStream did not answer within the timeout
     */
    public JetStreamInboxConsumer start() {
        synchronized (lifecycle) {
            if (fetcher != null) {
                throw new IllegalStateException("The consumer " + describe() + " was started already");
            }
            JetStreamSubscription bound = subscribe();
            subscription = bound;
            workers = concurrency > 1 ? Executors.newFixedThreadPool(concurrency, runnable -> {
                Thread thread = new Thread(runnable, "idempotency-jetstream-" + durable + "-worker");
                thread.setDaemon(true);
                return thread;
            }) : null;
            running = true;
            fetcher = new Thread(() -> fetchLoop(bound), "idempotency-jetstream-" + durable);
            fetcher.setDaemon(true);
            fetcher.start();
            return this;
        }
    }

    private JetStreamSubscription subscribe() {
        JetStreamOptions options = JetStreamOptions.builder().requestTimeout(timeout).build();
        try {
            JetStreamManagement management = connection.jetStreamManagement(options);
            ConsumerInfo info;
            try {
                info = management.getConsumerInfo(stream, durable);
            } catch (JetStreamApiException e) {
                throw new IllegalStateException("Cannot consume " + describe() + ": " + e.getErrorDescription()
                        + " (code " + e.getErrorCode() + "). Create the stream and a durable pull consumer on it with "
                        + "ack policy explicit first");
            }
            ConsumerConfiguration configuration = info.getConsumerConfiguration();
            if (configuration.getAckPolicy() != AckPolicy.Explicit) {
                throw new IllegalStateException("Cannot consume " + describe() + ": its ack policy is "
                        + configuration.getAckPolicy() + "; the inbox acknowledges each message after its commit, "
                        + "which needs ack policy explicit");
            }
            if (configuration.getDeliverSubject() != null) {
                throw new IllegalStateException("Cannot consume " + describe() + ": it is a push consumer (deliver "
                        + "subject " + configuration.getDeliverSubject() + "); give a durable pull consumer");
            }
            JetStream jetStream = connection.jetStream(options);
            return jetStream.subscribe(null, PullSubscribeOptions.bind(stream, durable));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot consume " + describe() + ": JetStream did not answer "
                    + "within " + timeout.toMillis() + " ms", e);
        } catch (JetStreamApiException e) {
            throw new IllegalStateException("Cannot consume " + describe() + ": " + e.getErrorDescription()
                    + " (code " + e.getErrorCode() + ")");
        }
    }

    private void fetchLoop(JetStreamSubscription bound) {
        while (running) {
            List<Message> batch;
            try {
                batch = bound.fetch(batchSize, fetchWait);
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // Disconnected or reconnecting, or the consumer went away: try again shortly, without spinning.
                LOG.log(Level.WARNING, () -> "Fetching from " + describe() + " failed; trying again: " + e);
                pause(NatsConnections.RECONNECT_WAIT);
                continue;
            }
            if (batch.isEmpty()) {
                continue;
            }
            if (workers == null) {
                for (Message message : batch) {
                    apply(message);
                }
            } else {
                List<Callable<Outcome>> tasks = new ArrayList<>(batch.size());
                for (Message message : batch) {
                    tasks.add(() -> apply(message));
                }
                try {
                    workers.invokeAll(tasks);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Applies one delivered JetStream message once and acknowledges it after the commit, or {@code nak}s or
     * terminates it, as the class description says; for an application that fetches or subscribes itself.
     * Never throws for what the message or the handler did: a failure is a {@link Outcome#REDELIVER}.
     *
     * @param message a JetStream message, delivered by a consumer that acknowledges explicitly
     * @return what was done with it
     */
    public Outcome apply(Message message) {
        Objects.requireNonNull(message, "message");
        String id = messageId(message);
        if (id == null) {
            return Outcome.TERMINATED;
        }
        byte[] payload = message.getData() == null ? new byte[0] : message.getData();
        InboxWork<Void> work = () -> {
            handler.handle(message, id);
            return null;
        };
        InboxResult<Void> result;
        try {
            result = checkPayload ? inbox.process(inboxConsumer, id, payload, work)
                    : inbox.process(inboxConsumer, id, work);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // Nothing committed; without an answer, JetStream redelivers after the consumer's ack wait.
            return Outcome.REDELIVER;
        } catch (Exception e) {
            Duration delay = nakDelay(deliveries(message));
            LOG.log(Level.WARNING, () -> "Message " + id + " of " + describe() + " was not applied (delivery "
                    + deliveries(message) + "); it comes again in " + delay.toMillis() + " ms", e);
            settle(message, () -> message.nakWithDelay(delay), "nak");
            return Outcome.REDELIVER;
        }
        if (result instanceof InboxResult.Reused) {
            LOG.log(Level.WARNING, () -> "Refused message " + id + " of " + describe() + " on subject "
                    + message.getSubject() + ": its id was applied before with another payload; terminated");
            settle(message, message::term, "term");
            return Outcome.TERMINATED;
        }
        settle(message, message::ack, "ack");
        return result.duplicate() ? Outcome.DUPLICATE : Outcome.APPLIED;
    }

    /** The message's id, or {@code null} after refusing and terminating a message that has none. */
    private String messageId(Message message) {
        String id = message.getHeaders() == null ? null : message.getHeaders().getFirst(MESSAGE_ID_HEADER);
        String why = "it has no " + MESSAGE_ID_HEADER + " header";
        if ((id == null || id.isEmpty()) && extractor != null) {
            try {
                id = extractor.messageId(message);
                why += " and the message id extractor found no id";
            } catch (Exception e) {
                id = null;
                why += " and the message id extractor failed: " + e;
            }
        } else if (id == null || id.isEmpty()) {
            why += " and no message id extractor is configured";
        }
        if (id == null || id.isEmpty()) {
            String reason = why;
            LOG.log(Level.WARNING, () -> "Refused a message of " + describe() + " on subject " + message.getSubject()
                    + " (stream sequence " + streamSequence(message) + "): " + reason
                    + ", so it cannot be applied once; terminated");
            settle(message, message::term, "term");
            return null;
        }
        return id;
    }

    private void settle(Message message, Runnable action, String what) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // The connection is down: JetStream redelivers after the ack wait, and the inbox recognises the message.
            LOG.log(Level.DEBUG, () -> "Could not " + what + " a message of " + describe() + ": " + e);
        }
    }

    private Duration nakDelay(long deliveries) {
        long doublings = Math.max(0, Math.min(deliveries - 1, 30));
        Duration delay = initialNakDelay.multipliedBy(1L << doublings);
        return delay.compareTo(maxNakDelay) > 0 || delay.isNegative() ? maxNakDelay : delay;
    }

    private static long deliveries(Message message) {
        try {
            return message.metaData().deliveredCount();
        } catch (RuntimeException e) {
            return 1;
        }
    }

    private static String streamSequence(Message message) {
        try {
            return String.valueOf(message.metaData().streamSequence());
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Stops fetching, waits for the messages being applied, and closes the connection if this consumer opened it
     * (from a {@link Builder#url url}). Messages fetched and not yet acknowledged are redelivered by JetStream after
     * the consumer's ack wait. Idempotent.
     */
    @Override
    public void close() throws InterruptedException {
        synchronized (lifecycle) {
            running = false;
            if (fetcher != null) {
                fetcher.join(fetchWait.plus(timeout).toMillis() * 2);
                if (fetcher.isAlive()) {
                    fetcher.interrupt();
                    fetcher.join(timeout.toMillis());
                }
            }
            if (workers != null) {
                workers.shutdown();
                workers.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            if (subscription != null) {
                try {
                    subscription.unsubscribe();
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, () -> "Unsubscribing from " + describe() + " failed: " + e);
                }
                subscription = null;
            }
            if (ownsConnection) {
                connection.close();
            }
        }
    }

    /** The name the inbox keeps this consumer's markers under. */
    public String inboxConsumer() {
        return inboxConsumer;
    }

    private String describe() {
        return "JetStream consumer '" + durable + "' of stream '" + stream + "'";
    }

    /** The servers (secrets hidden), stream, durable consumer and inbox consumer name. */
    @Override
    public String toString() {
        return "JetStreamInboxConsumer[servers=" + servers + ", stream=" + stream + ", durable=" + durable
                + ", inboxConsumer=" + inboxConsumer + ", batchSize=" + batchSize + ", concurrency=" + concurrency + "]";
    }

    /** Builds a {@link JetStreamInboxConsumer}; every setting is checked when it is set. */
    public static final class Builder {

        private String url;
        private Connection connection;
        private String stream;
        private String durable;
        private String inboxConsumer;
        private JdbcInbox inbox;
        private JetStreamMessageHandler handler;
        private MessageIdExtractor extractor;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int concurrency = 1;
        private Duration fetchWait = DEFAULT_FETCH_WAIT;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration initialNakDelay = DEFAULT_INITIAL_NAK_DELAY;
        private Duration maxNakDelay = DEFAULT_MAX_NAK_DELAY;
        private boolean checkPayload = true;

        private Builder() {
        }

        /**
         * The servers, as {@link JetStreamPublisher.Builder#url} takes them (secrets are never shown); the consumer
         * connects when built and closes the connection in {@link JetStreamInboxConsumer#close()}. Either this or
         * {@link #connection}.
         *
         * @throws IdempotencyConfigException if it is not a list of server URLs
         */
        public Builder url(String url) {
            this.url = NatsConnections.requireUrls("url", url);
            return this;
        }

        /** A connection of the application's own, never closed by the consumer. Either this or {@link #url}. */
        public Builder connection(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
            return this;
        }

        /**
         * The stream; required.
         *
         * @throws IdempotencyConfigException if it is not a valid stream name
         */
        public Builder stream(String stream) {
            this.stream = requireName("stream", stream);
            return this;
        }

        /**
         * The durable pull consumer on the stream, with ack policy explicit; required. It must exist: its
         * {@code ack_wait}, {@code max_deliver} and filter are the operator's choice.
         *
         * @throws IdempotencyConfigException if it is not a valid consumer name
         */
        public Builder durable(String durable) {
            this.durable = requireName("durable", durable);
            return this;
        }

        /** The inbox that records applied messages; required. */
        public Builder inbox(JdbcInbox inbox) {
            this.inbox = Objects.requireNonNull(inbox, "inbox");
            return this;
        }

        /**
         * The name the inbox keeps this consumer's markers under; default {@code <stream>/<durable>}. Two
         * consumers that must each apply every message need two names.
         *
         * @throws IdempotencyConfigException if empty or longer than {@value JdbcInbox#MAX_CONSUMER_LENGTH}
         */
        public Builder inboxConsumer(String inboxConsumer) {
            Objects.requireNonNull(inboxConsumer, "inboxConsumer");
            if (inboxConsumer.isEmpty() || inboxConsumer.length() > JdbcInbox.MAX_CONSUMER_LENGTH) {
                throw IdempotencyConfigException.invalid("inboxConsumer", inboxConsumer,
                        "1 to " + JdbcInbox.MAX_CONSUMER_LENGTH + " characters");
            }
            this.inboxConsumer = inboxConsumer;
            return this;
        }

        /** What to do with each message, once; required. */
        public Builder handler(JetStreamMessageHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Where to find the id of a message without a {@code Nats-Msg-Id} header; default none: such a message is
         * refused and terminated.
         */
        public Builder messageIdExtractor(MessageIdExtractor extractor) {
            this.extractor = Objects.requireNonNull(extractor, "extractor");
            return this;
        }

        /**
         * Messages fetched per pull, 1 to 1000; default {@value JetStreamInboxConsumer#DEFAULT_BATCH_SIZE}. Keep it
         * small enough that a batch is applied well within the consumer's ack wait.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1 || batchSize > 1000) {
                throw IdempotencyConfigException.invalid("batchSize", batchSize, "1 to 1000");
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * How many messages of a batch are applied at once, 1 to 64; default 1 (in stream order). Above 1 the
         * messages of a batch are applied in no particular order. The inbox's pool needs a connection per thread.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1 || concurrency > 64) {
                throw IdempotencyConfigException.invalid("concurrency", concurrency, "1 to 64");
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * How long one pull waits for messages; default 1 second. It also bounds how long {@code close()} waits for
         * the fetching thread.
         *
         * @throws IdempotencyConfigException if not positive
         */
        public Builder fetchWait(Duration fetchWait) {
            this.fetchWait = NatsConnections.requirePositive("fetchWait", fetchWait);
            return this;
        }

        /**
         * The bound on connecting and on each JetStream request; default 5 seconds.
         *
         * @throws IdempotencyConfigException if not positive
         */
        public Builder timeout(Duration timeout) {
            this.timeout = NatsConnections.requirePositive("timeout", timeout);
            return this;
        }

        /**
         * The delay of the first {@code nak} after a failure, doubled at each further delivery up to
         * {@code maxNakDelay}; defaults 1 second and 1 minute.
         *
         * @throws IdempotencyConfigException if either is not positive, or the maximum is below the initial delay
         */
        public Builder nakDelay(Duration initialNakDelay, Duration maxNakDelay) {
            NatsConnections.requirePositive("initialNakDelay", initialNakDelay);
            NatsConnections.requirePositive("maxNakDelay", maxNakDelay);
            if (maxNakDelay.compareTo(initialNakDelay) < 0) {
                throw IdempotencyConfigException.inconsistent("maxNakDelay", maxNakDelay,
                        "must not be shorter than initialNakDelay " + initialNakDelay);
            }
            this.initialNakDelay = initialNakDelay;
            this.maxNakDelay = maxNakDelay;
            return this;
        }

        /**
         * Whether the inbox keeps each message's payload digest and refuses an id that comes back with another
         * payload (terminated, as {@link InboxResult.Reused}); default {@code true}.
         */
        public Builder checkPayload(boolean checkPayload) {
            this.checkPayload = checkPayload;
            return this;
        }

        /**
         * The consumer, connected and not started.
         *
         * @throws IdempotencyConfigException if a required setting is missing, or both url and connection were given
         * @throws java.io.UncheckedIOException if the servers of {@code url} cannot be reached
         */
        public JetStreamInboxConsumer build() {
            if (stream == null) {
                throw IdempotencyConfigException.missing("stream", "the stream to consume");
            }
            if (durable == null) {
                throw IdempotencyConfigException.missing("durable", "the durable pull consumer to fetch from");
            }
            if (inbox == null) {
                throw IdempotencyConfigException.missing("inbox", "the JdbcInbox that records applied messages");
            }
            if (handler == null) {
                throw IdempotencyConfigException.missing("handler", "what to do with each message");
            }
            if (url == null && connection == null) {
                throw IdempotencyConfigException.missing("url or connection",
                        "give the consumer one of url(...) and connection(...)");
            }
            if (url != null && connection != null) {
                throw IdempotencyConfigException.inconsistent("url", NatsConnections.redact(url),
                        "give the consumer one of url(...) and connection(...), not both");
            }
            Connection used = connection != null ? connection
                    : NatsConnections.connect(url, "idempotency-inbox-" + durable, timeout);
            return new JetStreamInboxConsumer(this, used, connection == null);
        }

        private static String requireName(String setting, String name) {
            if (!Subjects.isValidName(name)) {
                throw IdempotencyConfigException.invalid(setting, name,
                        "a name without white space, '.', '*', '>' or path separators");
            }
            return name;
        }
    }
}
