package dev.idempotency.kafka;

/**
 * The Kafka record headers this module writes and reads. Header values are UTF-8 text.
 */
public final class KafkaHeaders {

    /**
     * The outbox message's id, the same on every (re-)publication of one message: what
     * {@link KafkaOutboxPublisher} writes and what {@link KafkaInboxConsumer} deduplicates on.
     */
    public static final String MESSAGE_ID = "message-id";

    /** On a dead-lettered record: why it was dead-lettered. */
    public static final String DEAD_LETTER_REASON = "dead-letter-reason";

    /** On a dead-lettered record: the topic it was consumed from. */
    public static final String DEAD_LETTER_TOPIC = "dead-letter-topic";

    /** On a dead-lettered record: the partition it was consumed from, in decimal. */
    public static final String DEAD_LETTER_PARTITION = "dead-letter-partition";

    /** On a dead-lettered record: its offset in that partition, in decimal. */
    public static final String DEAD_LETTER_OFFSET = "dead-letter-offset";

    /** On a dead-lettered record: how many times its handler failed on it, in decimal (0 if it never ran). */
    public static final String DEAD_LETTER_ATTEMPTS = "dead-letter-attempts";

    /** On a dead-lettered record: the consumer group that gave up on it. */
    public static final String DEAD_LETTER_GROUP = "dead-letter-group";

    private KafkaHeaders() {
    }
}
