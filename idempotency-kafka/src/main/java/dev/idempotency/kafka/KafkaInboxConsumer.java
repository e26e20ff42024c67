package dev.idempotency.kafka;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.InboxResult;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.spi.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consumes Kafka topics in a consumer group and applies each message once: every record runs its
 * {@link KafkaRecordHandler} inside {@link JdbcInbox#process(String, String, byte[], dev.idempotency.jdbc.inbox.InboxWork)
 * JdbcInbox.process}, so the handler's writes and the inbox's marker for the record's message id commit in one
 * database transaction, and the record's offset is committed to Kafka only after that commit.
 *
 * <pre>{@code
 * KafkaInboxConsumer consumer = KafkaInboxConsumer.builder(inbox)
 *         .bootstrapServers("kafka-1:9092")
 *         .groupId("billing")                       // also the inbox's consumer name
 *         .topics("orders.events")
 *         .handler((record, messageId) -> invoices.insert(inbox.transactionalDataSource(), record.value()))
 *         .build()
 *         .start();                                 // polls on a thread of its own until close()
 * }</pre>
 *
 * <p>What happens to each record:
 * <ul>
 * <li><b>Its message id</b> is the {@value KafkaHeaders#MESSAGE_ID} header (as {@link KafkaOutboxPublisher}
 * writes it), otherwise what the {@link Builder#messageIdExtractor extractor} finds. A record with neither is
 * never applied: it is refused, logged, and sent to the dead-letter topic at once.</li>
 * <li><b>Applied or a duplicate</b> (the inbox had applied its id before: a re-publication by the relay, or a
 * redelivery after a crash or a rebalance that came before the offset commit): its offset is committed.</li>
 * <li><b>Its id applied before with another payload</b> ({@link InboxResult.Reused}): not applied, dead-lettered
 * at once.</li>
 * <li><b>The handler throws</b>: nothing is committed; its partition is paused and the record is delivered
 * again after a backoff ({@link Builder#retryBackoff}, doubling up to {@link Builder#maxRetryBackoff}), other
 * partitions go on. After {@link Builder#maxAttempts} failed attempts it is dead-lettered and its offset
 * committed, so one bad record does not stop its partition for ever.</li>
 * <li><b>The database is unavailable</b> (the inbox throws {@link StoreException}): the same backoff, but the
 * attempt does not count: the record is not at fault, and it is not dead-lettered for it.</li>
 * </ul>
 * Offsets are committed synchronously after each poll's records, at a rebalance for the partitions given up,
 * and at {@link #close()}; never past a record whose transaction has not committed (or that was not
 * dead-lettered). A crash between the database commit and the offset commit redelivers records that the inbox
 * then answers as duplicates.
 *
 * <p>A dead-lettered record goes to the {@link Builder#deadLetterTopic dead-letter topic} with its key, value and
 * headers, plus {@link KafkaHeaders#DEAD_LETTER_REASON} and its origin's topic, partition, offset, attempts and
 * group. Its offset is committed only after the dead-letter topic acknowledged it; if the dead-letter topic
 * cannot be written, the record is retried like a failure that does not count.
 *
 * <p>The attempts of a record are counted in memory: they start again from zero after a restart or when its
 * partition moves to another consumer.
 */
public final class KafkaInboxConsumer implements AutoCloseable {

    /** The default number of failed attempts after which a record is dead-lettered. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;

    /** The default wait after a record's first failure; it doubles after each further one. */
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(1);

    /** The default longest wait between two attempts of a record. */
    public static final Duration DEFAULT_MAX_RETRY_BACKOFF = Duration.ofSeconds(30);

    /** The default bound on an offset commit, a dead-letter publication, and the consumer's own requests. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** The suffix of the default dead-letter topic, after the group id. */
    public static final String DEAD_LETTER_SUFFIX = ".dead-letter";

    private static final System.Logger LOG = System.getLogger(KafkaInboxConsumer.class.getName());
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final JdbcInbox inbox;
    private final String inboxConsumer;
    private final String groupId;
    private final List<String> topics;
    private final KafkaRecordHandler handler;
    private final MessageIdExtractor extractor;
    private final int maxAttempts;
    private final Duration retryBackoff;
    private final Duration maxRetryBackoff;
    private final Duration timeout;
    private final String deadLetterTopic;
    private final Map<String, Object> consumerConfig;
    private final Map<String, Object> producerConfig;
    private final String bootstrapServers;

    private final Object lifecycle = new Object();
    private Thread thread;
    private volatile boolean running;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    // Touched only by the polling thread.
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
    private final Map<TopicPartition, Failures> failures = new HashMap<>();
    private final Map<TopicPartition, Long> pausedUntil = new HashMap<>();
    private KafkaProducer<String, byte[]> deadLetters;

    private KafkaInboxConsumer(Builder builder, String bootstrapServers) {
        this.inbox = builder.inbox;
        this.groupId = builder.groupId;
        this.inboxConsumer = builder.inboxConsumer != null ? builder.inboxConsumer : builder.groupId;
        this.topics = List.copyOf(builder.topics);
        this.handler = builder.handler;
        this.extractor = builder.extractor;
        this.maxAttempts = builder.maxAttempts;
        this.retryBackoff = builder.retryBackoff;
        this.maxRetryBackoff = builder.maxRetryBackoff;
        this.timeout = builder.timeout;
        this.deadLetterTopic = builder.deadLetterTopic != null ? builder.deadLetterTopic
                : builder.groupId + DEAD_LETTER_SUFFIX;
        this.bootstrapServers = bootstrapServers;

        Map<String, Object> consumer = builder.shared.copy();
        consumer.putAll(builder.consumerOnly.copy());
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        this.consumerConfig = consumer;
        this.producerConfig = ClientProperties.idempotentProducer(builder.shared.copy(), timeout,
                "idempotency-dead-letter-" + groupId);
    }

    /**
     * A builder for a consumer applying records through {@code inbox}; the bootstrap servers, group id, topics
     * and handler are required.
     */
    public static Builder builder(JdbcInbox inbox) {
        return new Builder(Objects.requireNonNull(inbox, "inbox"));
    }

    /**
     * Starts polling on a daemon thread of its own, {@code idempotency-kafka-<group id>}, until {@link #close()}.
     *
     * @return this
     * @throws IllegalStateException if it was started before
     */
    public KafkaInboxConsumer start() {
        synchronized (lifecycle) {
            if (thread != null) {
                throw new IllegalStateException(this + " was started before; build another to start again");
            }
            running = true;
            thread = new Thread(this::pollUntilClosed, "idempotency-kafka-" + groupId);
            thread.setDaemon(true);
            thread.start();
            return this;
        }
    }

    /**
     * Stops polling: the record being applied finishes (its transaction commits or rolls back), the offsets of
     * applied records are committed, and the Kafka clients are closed; returns once the thread has ended.
     * Idempotent.
     */
    @Override
    public void close() {
        Thread polling;
        synchronized (lifecycle) {
            running = false;
            polling = thread;
        }
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (polling != null && polling != Thread.currentThread()) {
            boolean interrupted = false;
            while (polling.isAlive()) {
                try {
                    polling.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The group, the topics and the dead-letter topic; never a property (they may hold credentials). */
    @Override
    public String toString() {
        return "KafkaInboxConsumer[group=" + groupId + ", topics=" + topics + ", inbox consumer=" + inboxConsumer
                + ", dead-letter topic=" + deadLetterTopic + ", bootstrap.servers=" + bootstrapServers + "]";
    }

    private void pollUntilClosed() {
        try (KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(consumerConfig)) {
            consumer = kafka;
            kafka.subscribe(topics, new Rebalance(kafka));
            while (running) {
                try {
                    resumeDuePartitions(kafka);
                    ConsumerRecords<byte[], byte[]> records = kafka.poll(POLL_TIMEOUT);
                    for (TopicPartition partition : records.partitions()) {
                        applyInOrder(kafka, partition, records.records(partition));
                    }
                    commit(kafka, uncommitted);
                } catch (WakeupException e) {
                    // close(): the loop ends.
                } catch (InterruptException e) {
                    Thread.interrupted();
                    running = false;
                } catch (KafkaException e) {
                    LOG.log(System.Logger.Level.WARNING, "Kafka consumer of group " + groupId + " failed; polling "
                            + "again in " + retryBackoff.toMillis() + " ms", e);
                    pauseQuietly(retryBackoff);
                }
            }
            commit(kafka, uncommitted);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Kafka consumer of group " + groupId + " stopped", e);
        } finally {
            consumer = null;
            if (deadLetters != null) {
                deadLetters.close(timeout);
            }
        }
    }

    /** Applies a partition's records in order, stopping at the first that is to be delivered again. */
    private void applyInOrder(KafkaConsumer<byte[], byte[]> kafka, TopicPartition partition,
            List<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (!running) {
                // Not applied: the position goes back so the offsets committed stop before it.
                kafka.seek(partition, record.offset());
                return;
            }
            Duration retryIn = apply(record);
            if (retryIn != null) {
                kafka.seek(partition, record.offset());
                kafka.pause(List.of(partition));
                pausedUntil.put(partition, System.nanoTime() + retryIn.toNanos());
                return;
            }
            failures.remove(partition);
            uncommitted.put(partition, new OffsetAndMetadata(record.offset() + 1, record.leaderEpoch(), ""));
        }
    }

    /** Applies one record: {@code null} when it is done with (applied, duplicate, dead-lettered), else the wait. */
    private Duration apply(ConsumerRecord<byte[], byte[]> record) {
        String messageId = messageId(record);
        if (messageId == null) {
            String reason = "the record has no " + KafkaHeaders.MESSAGE_ID + " header"
                    + (extractor == null ? " and the consumer has no message id extractor"
                            : " and the message id extractor found no id")
                    + ": it was not applied, since the inbox could not deduplicate it";
            return deadLetter(record, reason, 0);
        }
        byte[] payload = record.value() == null ? new byte[0] : record.value();
        Failures failed = failures.get(new TopicPartition(record.topic(), record.partition()));
        int attempt = 1 + (failed != null && failed.offset == record.offset() ? failed.count : 0);
        try {
            InboxResult<Void> result = inbox.process(inboxConsumer, messageId, payload, () -> {
                handler.handle(record, messageId);
                return null;
            });
            if (result instanceof InboxResult.Reused) {
                return deadLetter(record, "message id " + messageId + " was applied before with another payload: "
                        + "the producer reused the id for another message", 0);
            }
            return null;
        } catch (StoreException e) {
            LOG.log(System.Logger.Level.WARNING, "The inbox could not apply " + describe(record, messageId)
                    + "; it is delivered again in " + retryBackoff.toMillis() + " ms (not counted as a failed "
                    + "attempt): " + e.getMessage());
            return retryBackoff;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return retryBackoff;
        } catch (Exception e) {
            if (attempt >= maxAttempts) {
                LOG.log(System.Logger.Level.WARNING, "The handler failed on " + describe(record, messageId)
                        + " for the " + attempt + "th time; dead-lettering it", e);
                return deadLetter(record, "the handler failed " + attempt + " times, last with "
                        + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), attempt);
            }
            failures.put(new TopicPartition(record.topic(), record.partition()), new Failures(record.offset(), attempt));
            Duration wait = backoff(attempt);
            LOG.log(System.Logger.Level.WARNING, "The handler failed on " + describe(record, messageId) + " (attempt "
                    + attempt + " of " + maxAttempts + "); it is delivered again in " + wait.toMillis() + " ms", e);
            return wait;
        }
    }

    private String messageId(ConsumerRecord<byte[], byte[]> record) {
        Header header = record.headers().lastHeader(KafkaHeaders.MESSAGE_ID);
        if (header != null && header.value() != null && header.value().length > 0) {
            return new String(header.value(), StandardCharsets.UTF_8);
        }
        if (extractor == null) {
            return null;
        }
        String id = extractor.messageId(record);
        return id == null || id.isEmpty() ? null : id;
    }

    /** Publishes the record to the dead-letter topic: {@code null} once acknowledged, else the wait to retry. */
    private Duration deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, int attempts) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(KafkaHeaders.DEAD_LETTER_REASON, utf8(reason));
        headers.add(KafkaHeaders.DEAD_LETTER_TOPIC, utf8(record.topic()));
        headers.add(KafkaHeaders.DEAD_LETTER_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(KafkaHeaders.DEAD_LETTER_OFFSET, utf8(Long.toString(record.offset())));
        headers.add(KafkaHeaders.DEAD_LETTER_ATTEMPTS, utf8(Integer.toString(attempts)));
        headers.add(KafkaHeaders.DEAD_LETTER_GROUP, utf8(groupId));
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        try {
            if (deadLetters == null) {
                deadLetters = new KafkaProducer<>(producerConfig);
            }
            deadLetters.send(new ProducerRecord<>(deadLetterTopic, null, key, record.value(), headers))
                    .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            LOG.log(System.Logger.Level.WARNING, "Dead-lettered record " + where + " to " + deadLetterTopic + ": "
                    + reason);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return retryBackoff;
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "Could not dead-letter record " + where + " to " + deadLetterTopic
                    + " (" + reason + "); it is delivered again in " + retryBackoff.toMillis() + " ms", e);
            return retryBackoff;
        }
    }

    private Duration backoff(int attempt) {
        long factor = 1L << Math.min(attempt - 1, 20);
        Duration wait = retryBackoff.multipliedBy(factor);
        return wait.compareTo(maxRetryBackoff) > 0 ? maxRetryBackoff : wait;
    }

    private void resumeDuePartitions(KafkaConsumer<byte[], byte[]> kafka) {
        long now = System.nanoTime();
        List<TopicPartition> due = new ArrayList<>();
        for (Iterator<Map.Entry<TopicPartition, Long>> it = pausedUntil.entrySet().iterator(); it.hasNext();) {
            Map.Entry<TopicPartition, Long> entry = it.next();
            if (now - entry.getValue() >= 0) {
                due.add(entry.getKey());
                it.remove();
            }
        }
        if (!due.isEmpty()) {
            due.retainAll(kafka.assignment());
            kafka.resume(due);
        }
    }

    /** Commits the offsets given, removing them once committed; a failure is logged and retried later. */
    private void commit(KafkaConsumer<byte[], byte[]> kafka, Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> batch = new HashMap<>(offsets);
        try {
            kafka.commitSync(batch, timeout);
            batch.forEach(offsets::remove);
        } catch (org.apache.kafka.clients.consumer.CommitFailedException e) {
            // The partitions moved to another consumer: it starts from the last committed offsets, and the inbox
            // answers what this one applied as duplicates.
            batch.keySet().forEach(offsets::remove);
            LOG.log(System.Logger.Level.INFO, "Offsets of group " + groupId + " not committed after a rebalance; "
                    + "the new owner redelivers those records and the inbox skips them: " + e.getMessage());
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
            commit(kafka, offsets);
        } catch (KafkaException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not commit offsets of group " + groupId + " (retried after "
                    + "the next poll): " + e.getMessage());
        }
    }

    private void pauseQuietly(Duration wait) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private static String describe(ConsumerRecord<byte[], byte[]> record, String messageId) {
        return "message " + messageId + " (record " + record.topic() + "-" + record.partition() + "@"
                + record.offset() + ")";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** How many times the handler failed on the record at {@code offset} of a partition. */
    private record Failures(long offset, int count) {
    }

    /** Commits before giving partitions up, and forgets what belonged to partitions taken away. */
    private final class Rebalance implements ConsumerRebalanceListener {

        private final KafkaConsumer<byte[], byte[]> kafka;

        Rebalance(KafkaConsumer<byte[], byte[]> kafka) {
            this.kafka = kafka;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> revoked = new HashMap<>();
            for (TopicPartition partition : partitions) {
                OffsetAndMetadata offset = uncommitted.remove(partition);
                if (offset != null) {
                    revoked.put(partition, offset);
                }
            }
            commit(kafka, revoked);
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(uncommitted::remove);
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }

        private void forget(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                failures.remove(partition);
                pausedUntil.remove(partition);
            }
        }
    }

    /** Builds a {@link KafkaInboxConsumer}; every setting is checked when it is set. */
    public static final class Builder {

        private final JdbcInbox inbox;
        private final ClientProperties shared = new ClientProperties("property");
        private final ClientProperties consumerOnly = new ClientProperties("consumerProperty");
        private String groupId;
        private String inboxConsumer;
        private final List<String> topics = new ArrayList<>();
        private KafkaRecordHandler handler;
        private MessageIdExtractor extractor;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
        private Duration maxRetryBackoff = DEFAULT_MAX_RETRY_BACKOFF;
        private Duration timeout = DEFAULT_TIMEOUT;
        private String deadLetterTopic;

        private Builder(JdbcInbox inbox) {
            this.inbox = inbox;
        }

        /**
         * The brokers to connect to first, {@code host:port} separated by commas. Required.
         *
         * @throws IdempotencyConfigException if blank
         */
        public Builder bootstrapServers(String bootstrapServers) {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw IdempotencyConfigException.invalid("bootstrapServers", bootstrapServers,
                        "host:port pairs separated by commas, such as kafka-1:9092,kafka-2:9092");
            }
            shared.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.trim(), Map.of());
            return this;
        }

        /**
         * The consumer group (Kafka's {@code group.id}), and unless {@link #inboxConsumer} says otherwise the
         * inbox's consumer name. Required.
         *
         * @throws IdempotencyConfigException if blank
         */
        public Builder groupId(String groupId) {
            if (groupId == null || groupId.isBlank()) {
                throw IdempotencyConfigException.invalid("groupId", groupId, "a consumer group name");
            }
            this.groupId = groupId;
            return this;
        }

        /**
         * The name the inbox keeps its markers under; default the group id. Two groups that must each apply
         * every message need two names; keep the name when renaming the group, or the new group applies again
         * what the old one applied.
         *
         * @throws IdempotencyConfigException if blank
         */
        public Builder inboxConsumer(String name) {
            if (name == null || name.isBlank()) {
                throw IdempotencyConfigException.invalid("inboxConsumer", name, "a non-blank consumer name");
            }
            this.inboxConsumer = name;
            return this;
        }

        /**
         * The topics to consume (adds to those given before). At least one is required.
         *
         * @throws IdempotencyConfigException if a name is not a Kafka topic name
         */
        public Builder topics(String... topics) {
            for (String topic : Objects.requireNonNull(topics, "topics")) {
                this.topics.add(requireTopic("topics", topic));
            }
            return this;
        }

        /** What applies each record, inside the inbox's transaction. Required. */
        public Builder handler(KafkaRecordHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Where the message id of a record without a {@value KafkaHeaders#MESSAGE_ID} header comes from; by
         * default nowhere: such a record is dead-lettered without being applied.
         */
        public Builder messageIdExtractor(MessageIdExtractor extractor) {
            this.extractor = Objects.requireNonNull(extractor, "extractor");
            return this;
        }

        /**
         * Failed attempts of the handler on one record before it is dead-lettered, 1 to 1000; default
         * {@value #DEFAULT_MAX_ATTEMPTS}.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1 || maxAttempts > 1000) {
                throw IdempotencyConfigException.invalid("maxAttempts", maxAttempts, "1 to 1000");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * The wait after a record's first failure, 1 ms to 1 hour; it doubles after each further failure, up to
         * {@link #maxRetryBackoff}. Default 1 second.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder retryBackoff(Duration backoff) {
            this.retryBackoff = requireBackoff("retryBackoff", backoff);
            return this;
        }

        /**
         * The longest wait between two attempts of a record, 1 ms to 1 hour; default 30 seconds. The wait does
         * not count against the consumer's {@code max.poll.interval.ms}: the record's partition is paused, and
         * the consumer keeps polling the others.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder maxRetryBackoff(Duration backoff) {
            this.maxRetryBackoff = requireBackoff("maxRetryBackoff", backoff);
            return this;
        }

        /**
         * The bound on each offset commit, each dead-letter publication and the consumer's other blocking
         * calls ({@code default.api.timeout.ms}), 100 ms to 10 minutes; default 10 seconds.
         *
         * @throws IdempotencyConfigException if out of range
         */
        public Builder timeout(Duration timeout) {
            this.timeout = ClientProperties.requireTimeout("timeout", timeout);
            return this;
        }

        /**
         * The topic refused and dead records go to; default the group id followed by
         * {@value KafkaInboxConsumer#DEAD_LETTER_SUFFIX}. Create it with the retention you need to look at them.
         *
         * @throws IdempotencyConfigException if not a Kafka topic name
         */
        public Builder deadLetterTopic(String topic) {
            this.deadLetterTopic = requireTopic("deadLetterTopic", topic);
            return this;
        }

        /**
         * A property of both Kafka clients, the consumer and the dead-letter producer: connection and security
         * settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}). Values are never shown in
         * messages.
         *
         * @throws IdempotencyConfigException naming the property if this module sets it itself
         */
        public Builder property(String name, Object value) {
            Map<String, String> reserved = new LinkedHashMap<>(reservedConsumerProperties());
            reserved.putAll(ClientProperties.reservedProducerProperties());
            shared.put(name, value, reserved);
            return this;
        }

        /**
         * A property of the consumer alone, such as {@code max.poll.records}, {@code session.timeout.ms},
         * {@code group.protocol} or {@code auto.offset.reset} (default here {@code earliest}: a new group
         * starts with the oldest record kept, not the next one).
         *
         * @throws IdempotencyConfigException naming the property if this module sets it itself
         */
        public Builder consumerProperty(String name, Object value) {
            consumerOnly.put(name, value, reservedConsumerProperties());
            return this;
        }

        /**
         * Checks that everything required was given.
         *
         * @throws IdempotencyConfigException naming what is missing
         */
        public KafkaInboxConsumer build() {
            String servers = shared.requireBootstrapServers();
            if (groupId == null) {
                throw IdempotencyConfigException.missing("groupId", "give the consumer group, such as groupId(\"billing\")");
            }
            if (topics.isEmpty()) {
                throw IdempotencyConfigException.missing("topics", "give the topics to consume, such as "
                        + "topics(\"orders.events\")");
            }
            if (handler == null) {
                throw IdempotencyConfigException.missing("handler", "give what applies each record");
            }
            if (maxRetryBackoff.compareTo(retryBackoff) < 0) {
                throw IdempotencyConfigException.inconsistent("maxRetryBackoff", maxRetryBackoff,
                        "must not be shorter than retryBackoff (" + retryBackoff + ")");
            }
            return new KafkaInboxConsumer(this, servers);
        }

        private static Map<String, String> reservedConsumerProperties() {
            Map<String, String> reserved = new LinkedHashMap<>();
            reserved.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "offsets are committed only after the inbox's "
                    + "database commit, never automatically");
            reserved.put(ConsumerConfig.GROUP_ID_CONFIG, "set groupId(...) instead");
            reserved.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "keys reach the handler as bytes");
            reserved.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "values reach the handler as bytes, the "
                    + "payload the inbox digests");
            reserved.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "set timeout(...) instead");
            return reserved;
        }

        private static String requireTopic(String setting, String topic) {
            if (topic == null || !TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
                throw IdempotencyConfigException.invalid(setting, topic,
                        "a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -, not '.' or '..'");
            }
            return topic;
        }

        private static Duration requireBackoff(String setting, Duration backoff) {
            if (backoff == null || backoff.compareTo(Duration.ofMillis(1)) < 0
                    || backoff.compareTo(Duration.ofHours(1)) > 0) {
                throw IdempotencyConfigException.invalid(setting, backoff, "a duration from 1ms to 1h, such as PT1S");
            }
            return backoff;
        }
    }
}
