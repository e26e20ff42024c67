package dev.idempotency.kafka;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Publishes outbox messages to Kafka, for an {@link dev.idempotency.jdbc.outbox.OutboxRelay}: each message
 * becomes one record
 * <ul>
 * <li>on the topic named by the message's {@link OutboxMessage#destination() destination} (a topic name, such
 * as {@code orders.events}; the partition is chosen by the key);</li>
 * <li>keyed by the message's ordering {@link OutboxMessage#key() key} (UTF-8), so that the messages of one key
 * go to one partition in the order the relay publishes them; a message without a key gets no key;</li>
 * <li>with the payload's bytes as its value, every header of the message as a record header (UTF-8 values,
 * in order: a W3C {@code traceparent} among them travels too), and the message's id as the
 * {@value KafkaHeaders#MESSAGE_ID} header, the same on every re-publication, for the consumer to deduplicate
 * on (a header of that name in the message is replaced by it).</li>
 * </ul>
 *
 * <p>The producer is idempotent ({@code enable.idempotence=true}) and waits for every in-sync replica
 * ({@code acks=all}): an attempt is {@link PublishResult#delivered() delivered} only once the broker
 * acknowledged the record, and the producer's own retries neither duplicate nor reorder records. A record
 * published whose acknowledgement was lost, or whose relay died before marking it, is published again by the
 * relay, with the same {@value KafkaHeaders#MESSAGE_ID}: delivery is at least once, and
 * {@link KafkaInboxConsumer} applies it once.
 *
 * <p>Every attempt is bounded by the {@linkplain Builder#timeout timeout} ({@value #DEFAULT_TIMEOUT_SECONDS}
 * seconds by default: keep it well below the relay's lease, 60 seconds by default). How failures map:
 * <table>
 * <caption>Failure to result</caption>
 * <tr><th>Failure</th><th>Result</th></tr>
 * <tr><td>no acknowledgement within the timeout; a topic the broker does not know (yet); a broker that is
 * down, not the leader, short of in-sync replicas; any other error Kafka calls retriable; an authentication
 * failure; any other client error</td><td>retry</td></tr>
 * <tr><td>a destination that is not a valid topic name; a record larger than the broker or the producer
 * accepts; the producer not authorised to write to the topic</td><td>rejected: sending the same record again
 * cannot succeed</td></tr>
 * </table>
 * Every error names the topic, the message id and the attempt, never a setting's value.
 *
 * <p>Instances are safe for concurrent use, as the relay's publisher threads need: they share one producer.
 * {@link #close()} closes it.
 */
public final class KafkaOutboxPublisher implements OutboxPublisher, AutoCloseable {

    /** The default bound on one attempt, in seconds. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 10;

    /** The default bound on one attempt, from handing the record to the producer to its acknowledgement. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);

    /** Kafka's own rule for topic names. */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final Producer<String, byte[]> producer;
    private final Duration timeout;
    private final String bootstrapServers;

    private KafkaOutboxPublisher(Producer<String, byte[]> producer, Duration timeout, String bootstrapServers) {
        this.producer = producer;
        this.timeout = timeout;
        this.bootstrapServers = bootstrapServers;
    }

    /** A builder; the bootstrap servers are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** A publisher to the brokers at {@code bootstrapServers} ({@code host:port,...}), with the defaults. */
    public static KafkaOutboxPublisher create(String bootstrapServers) {
        return builder().bootstrapServers(bootstrapServers).build();
    }

    /**
     * Publishes {@code message} and waits for the broker's acknowledgement, at most the timeout.
     *
     * @return delivered, retry or rejected, as the class description maps failures; never {@code null}
     * @throws InterruptedException if the thread was interrupted while waiting; the record may or may not have
     *     been written, and the relay publishes it again
     */
    @Override
    public PublishResult publish(OutboxMessage message, int attempt) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        String topic = message.destination();
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            return PublishResult.rejected("Message " + message.id() + ": its destination '" + abbreviate(topic)
                    + "' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -, not '.' or '..')");
        }
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, null, message.key(), message.payload(),
                headers(message));
        String what = "message " + message.id() + " to topic " + topic + " (attempt " + attempt + ")";
        long deadline = System.nanoTime() + timeout.toNanos();
        Future<RecordMetadata> sent;
        try {
            sent = producer.send(record);
        } catch (InterruptException e) {
            Thread.interrupted();
            throw interrupted(what, e);
        } catch (KafkaException | IllegalStateException e) {
            return failure(what, e);
        }
        try {
            sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return PublishResult.delivered();
        } catch (TimeoutException e) {
            return PublishResult.retry("No acknowledgement of " + what + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof Error error) {
                throw error;
            }
            return failure(what, cause);
        }
    }

    private static RecordHeaders headers(OutboxMessage message) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : message.headers()) {
            if (!header.hasName(KafkaHeaders.MESSAGE_ID)) {
                headers.add(header.name(), header.value().getBytes(StandardCharsets.UTF_8));
            }
        }
        headers.add(KafkaHeaders.MESSAGE_ID, message.id().getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    private static PublishResult failure(String what, Throwable cause) {
        String error = "Could not publish " + what + ": " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        boolean permanent = !(cause instanceof RetriableException)
                && (cause instanceof InvalidTopicException || cause instanceof RecordTooLargeException
                        || cause instanceof RecordBatchTooLargeException || cause instanceof AuthorizationException
                        || cause instanceof SerializationException);
        return permanent ? PublishResult.rejected(error) : PublishResult.retry(error);
    }

    private static InterruptedException interrupted(String what, Exception cause) {
        InterruptedException interrupted = new InterruptedException("Interrupted while publishing " + what);
        interrupted.initCause(cause);
        return interrupted;
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    /** The bound on one attempt. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * Closes the producer, waiting up to the timeout for records in flight; their attempts, if still waiting,
     * end as retries. Idempotent.
     */
    @Override
    public void close() {
        producer.close(timeout);
    }

    /** The bootstrap servers and the timeout; never another property (they may hold credentials). */
    @Override
    public String toString() {
        return "KafkaOutboxPublisher[bootstrap.servers=" + bootstrapServers + ", timeout=" + timeout + "]";
    }

    /** Builds a {@link KafkaOutboxPublisher}; every setting is checked when it is set. */
    public static final class Builder {

        private final ClientProperties properties = new ClientProperties("property");
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder() {
        }

        /**
         * The brokers to connect to first, {@code host:port} separated by commas (Kafka's
         * {@code bootstrap.servers}). Required.
         *
         * @throws IdempotencyConfigException if blank
         */
        public Builder bootstrapServers(String bootstrapServers) {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw IdempotencyConfigException.invalid("bootstrapServers", bootstrapServers,
                        "host:port pairs separated by commas, such as kafka-1:9092,kafka-2:9092");
            }
            properties.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.trim(), Map.of());
            return this;
        }

        /**
         * Any other producer property (security, compression, client id), passed on to Kafka as it is.
         * The properties that make the guarantees cannot be set: {@code enable.idempotence}, {@code acks},
         * the serializers, {@code transactional.id}, and the timeouts {@code delivery.timeout.ms},
         * {@code request.timeout.ms} and {@code max.block.ms}, which {@link #timeout} sets. {@code linger.ms}
         * is 0 unless set here.
         *
         * @throws IdempotencyConfigException naming the property (never its value) if it is one of those
         */
        public Builder property(String name, Object value) {
            properties.put(name, value, ClientProperties.reservedProducerProperties());
            return this;
        }

        /**
         * The bound on one attempt, 100 ms to 10 minutes; default {@value #DEFAULT_TIMEOUT_SECONDS} seconds.
         * It is the producer's {@code delivery.timeout.ms} and {@code max.block.ms}, with half of it as its
         * {@code request.timeout.ms}. Keep it well below the relay's lease.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder timeout(Duration timeout) {
            this.timeout = ClientProperties.requireTimeout("timeout", timeout);
            return this;
        }

        /**
         * Creates the producer (it connects lazily, on the first message).
         *
         * @throws IdempotencyConfigException if the bootstrap servers are missing, or Kafka refuses the
         *     properties (its message names the property)
         */
        public KafkaOutboxPublisher build() {
            String servers = properties.requireBootstrapServers();
            Map<String, Object> config = ClientProperties.idempotentProducer(properties.copy(), timeout,
                    "idempotency-outbox");
            try {
                return new KafkaOutboxPublisher(new KafkaProducer<>(config), timeout, servers);
            } catch (KafkaException e) {
                throw IdempotencyConfigException.inconsistent("property", "(not shown)",
                        "Kafka refused the producer's configuration: " + e.getMessage());
            }
        }
    }
}
