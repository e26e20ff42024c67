package dev.idempotency.kafka;

import dev.idempotency.IdempotencyConfigException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka client properties a builder collects, and the checks both builders share: a property the module
 * sets itself cannot be given, and no value is ever shown in a message (SASL and SSL settings hold secrets).
 */
final class ClientProperties {

    /** The shortest timeout a builder accepts. */
    static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

    /** The longest timeout a builder accepts. */
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    private final Map<String, Object> values = new LinkedHashMap<>();
    private final String owner;

    /** @param owner the builder's method for a property, such as {@code property}, for messages */
    ClientProperties(String owner) {
        this.owner = owner;
    }

    /**
     * Adds a property, refusing a null name or value and the properties in {@code reserved}, each with the way
     * to set what it would set.
     */
    void put(String name, Object value, Map<String, String> reserved) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        String why = reserved.get(name);
        if (why != null) {
            throw IdempotencyConfigException.inconsistent(owner + "(" + name + ")", shown(name, value), why);
        }
        values.put(name, value);
    }

    /** The bootstrap servers, given as such or as a property, or the exception naming both ways. */
    String requireBootstrapServers() {
        Object servers = values.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        if (servers == null || servers.toString().isBlank()) {
            throw IdempotencyConfigException.missing("bootstrapServers", "give the brokers to connect to, such as "
                    + "bootstrapServers(\"kafka-1:9092,kafka-2:9092\")");
        }
        return servers.toString();
    }

    /** A copy of the properties given. */
    Map<String, Object> copy() {
        return new LinkedHashMap<>(values);
    }

    /**
     * The properties of an idempotent producer that waits for every in-sync replica, sends String keys and byte
     * values, and bounds each record by {@code timeout}: what the publisher and the consumer's dead-letter
     * producer both use.
     */
    static Map<String, Object> idempotentProducer(Map<String, Object> given, Duration timeout, String clientIdPrefix) {
        Map<String, Object> config = new LinkedHashMap<>(given);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // The whole life of a record (its retries included) and the wait for metadata both end with the timeout;
        // a request may take half of it, so a lost request is retried once within it.
        int millis = (int) timeout.toMillis();
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, millis);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1, millis / 2 - lingerMillis(config)));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, millis);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientIdPrefix + "-" + Long.toHexString(System.nanoTime()));
        return config;
    }

    /** The producer properties that an idempotent, bounded producer sets itself, each with what to do instead. */
    static Map<String, String> reservedProducerProperties() {
        Map<String, String> reserved = new LinkedHashMap<>();
        reserved.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "the producer is always idempotent, so that its own "
                + "retries neither duplicate nor reorder a key's records");
        reserved.put(ProducerConfig.ACKS_CONFIG, "the producer always waits for every in-sync replica (acks=all): a "
                + "message is marked published only once it cannot be lost with a single broker");
        reserved.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, "keys are the outbox's ordering keys, sent as UTF-8");
        reserved.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, "values are the outbox payload's bytes, as they are");
        reserved.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "set timeout(...) instead");
        reserved.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "set timeout(...) instead");
        reserved.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "set timeout(...) instead");
        reserved.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "the outbox is the transaction: records are published "
                + "one at a time, and each is deduplicated by its message-id header");
        return reserved;
    }

    /** Checks a timeout: from {@link #MIN_TIMEOUT} to {@link #MAX_TIMEOUT}. */
    static Duration requireTimeout(String setting, Duration timeout) {
        if (timeout == null || timeout.compareTo(MIN_TIMEOUT) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw IdempotencyConfigException.invalid(setting, timeout, "a duration from 100ms to 10m, such as PT10S");
        }
        return timeout;
    }

    /**
     * The value as a refusal shows it: never, since the module cannot tell which properties hold secrets
     * (a JAAS configuration, a key store password, a custom login module's options).
     */
    static Object shown(String name, Object value) {
        return "(not shown)";
    }

    private static int lingerMillis(Map<String, Object> config) {
        Object linger = config.get(ProducerConfig.LINGER_MS_CONFIG);
        try {
            return linger == null ? 0 : Integer.parseInt(linger.toString().trim());
        } catch (NumberFormatException e) {
            throw IdempotencyConfigException.invalid("property(linger.ms)", linger, "a whole number of milliseconds");
        }
    }
}
