package dev.idempotency;

import dev.idempotency.internal.PropertyValues;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code idempotency.*} properties: their names, where an application keeps them ({@link #load}), and
 * how they become an {@link IdempotencyConfig} ({@link #parse}).
 *
 * <table>
 * <caption>Properties</caption>
 * <tr><th>Property</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>{@value #KEY_TTL}</td><td>24h</td><td>how long a key and its stored outcome are kept</td></tr>
 * <tr><td>{@value #METHODS}</td><td>POST,PATCH</td><td>the methods the protocol covers</td></tr>
 * <tr><td>{@value #REQUIRED}</td><td>true</td><td>whether a covered request without a key is refused</td></tr>
 * <tr><td>{@value #CONCURRENT}</td><td>reject</td><td>{@code reject} or {@code wait}</td></tr>
 * <tr><td>{@value #WAIT_TIMEOUT}</td><td>10s</td><td>the longest a request waits in {@code wait} mode</td></tr>
 * <tr><td>{@value #RETRY_AFTER}</td><td>1s</td><td>{@code Retry-After} sent with 409</td></tr>
 * <tr><td>{@value #MAX_REQUEST_BYTES}</td><td>1MB</td><td>larger bodies get 413</td></tr>
 * <tr><td>{@value #MAX_RESPONSE_BYTES}</td><td>1MB</td><td>larger responses are rolled back</td></tr>
 * <tr><td>{@value #STORED_STATUSES}</td><td>{@value StoredStatuses#DEFAULT_SPEC}</td><td>see {@link StoredStatuses}</td></tr>
 * <tr><td>{@value #REPLAYED_HEADERS}</td><td>(none)</td><td>headers replayed besides the default list</td></tr>
 * <tr><td>{@value #PURGE_INTERVAL}</td><td>1m</td><td>how often expired records are purged; 0 turns it off</td></tr>
 * <tr><td>{@value #PURGE_BATCH_SIZE}</td><td>1000</td><td>records deleted per purge transaction</td></tr>
 * <tr><td>{@value #MODE}</td><td>transaction</td><td>{@code transaction} or {@code lease}, see {@link ExecutionMode}</td></tr>
 * <tr><td>{@value #LEASE_PATHS}</td><td>(none)</td><td>paths that run in lease mode whatever the mode</td></tr>
 * <tr><td>{@value #LEASE_DURATION}</td><td>30s</td><td>how long a lease lasts between renewals</td></tr>
 * <tr><td>{@value #CLAIM}</td><td>pessimistic</td><td>{@code pessimistic} or {@code optimistic}, see
 * {@link ClaimStrategy}</td></tr>
 * </table>
 *
 * <p>Durations are written {@code 500ms}, {@code 30s}, {@code 10m}, {@code 24h}, {@code 7d} or in ISO-8601
 * ({@code PT24H}); sizes in bytes, optionally with a binary unit ({@code 512KB}, {@code 1MB}); lists are
 * comma-separated. Each value is checked as the matching {@link IdempotencyConfig.Builder} setter checks it.
 */
public final class IdempotencyProperties {

    /** The classpath resource {@link #load} reads first. */
    public static final String FILE = "idempotency.properties";

    /** The prefix every property of this library starts with. */
    public static final String PREFIX = "idempotency.";

    public static final String KEY_TTL = "idempotency.key-ttl";
    public static final String METHODS = "idempotency.methods";
    public static final String REQUIRED = "idempotency.required";
    public static final String CONCURRENT = "idempotency.concurrent";
    public static final String WAIT_TIMEOUT = "idempotency.wait-timeout";
    public static final String RETRY_AFTER = "idempotency.retry-after";
    public static final String MAX_REQUEST_BYTES = "idempotency.max-request-bytes";
    public static final String MAX_RESPONSE_BYTES = "idempotency.max-response-bytes";
    public static final String STORED_STATUSES = "idempotency.stored-statuses";
    public static final String REPLAYED_HEADERS = "idempotency.replayed-headers";
    public static final String PURGE_INTERVAL = "idempotency.purge-interval";
    public static final String PURGE_BATCH_SIZE = "idempotency.purge-batch-size";
    public static final String MODE = "idempotency.mode";
    public static final String LEASE_PATHS = "idempotency.lease-paths";
    public static final String LEASE_DURATION = "idempotency.lease-duration";
    public static final String CLAIM = "idempotency.claim";

    /** Every property {@link #parse} reads. */
    public static final List<String> NAMES = List.of(KEY_TTL, METHODS, REQUIRED, CONCURRENT, WAIT_TIMEOUT,
            RETRY_AFTER, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, STORED_STATUSES, REPLAYED_HEADERS, PURGE_INTERVAL,
            PURGE_BATCH_SIZE, MODE, LEASE_PATHS, LEASE_DURATION, CLAIM);

    private IdempotencyProperties() {
    }

    /**
     * The merged {@code idempotency.*} properties from the places an application keeps its settings, in
     * rising order of precedence: the classpath file {@value #FILE}, then the given overrides (a filter's init
     * parameters, say), then JVM system properties ({@code -Didempotency.key-ttl=12h}).
     *
     * @param classLoader where to look for {@value #FILE}
     * @param overrides entries that win over the file and lose to system properties
     * @throws IdempotencyConfigException if the file exists and cannot be read
     */
    public static Map<String, String> load(ClassLoader classLoader, Map<String, String> overrides) {
        Objects.requireNonNull(classLoader, "classLoader");
        Objects.requireNonNull(overrides, "overrides");
        Map<String, String> merged = new LinkedHashMap<>();
        URL file = classLoader.getResource(FILE);
        if (file != null) {
            Properties fromFile = new Properties();
            try (InputStream in = file.openStream()) {
                fromFile.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + file, e);
            } catch (IllegalArgumentException e) {
                throw IdempotencyConfigException.invalid(FILE, file, "a readable properties file (" + e.getMessage() + ")");
            }
            fromFile.stringPropertyNames().stream().filter(IdempotencyProperties::ours)
                    .forEach(name -> merged.put(name, fromFile.getProperty(name)));
        }
        overrides.forEach((name, value) -> {
            if (ours(name)) {
                merged.put(name, value);
            }
        });
        Properties system = System.getProperties();
        system.stringPropertyNames().stream().filter(IdempotencyProperties::ours)
                .forEach(name -> merged.put(name, system.getProperty(name)));
        return merged;
    }

    /**
     * The settings the {@code idempotency.*} entries of {@code properties} give, over the defaults; entries
     * outside the prefix are ignored.
     *
     * @throws IdempotencyConfigException naming the property and the value, for a value that cannot be
     *     read and for an unknown {@code idempotency.*} property (usually a typo)
     */
    public static IdempotencyConfig parse(Map<String, String> properties) {
        return parse(properties, Set.of());
    }

    /**
     * As {@link #parse(Map)}, ignoring {@code handledElsewhere}: properties that another part of the library
     * reads (the servlet filter's {@code idempotency.scope}, say).
     */
    public static IdempotencyConfig parse(Map<String, String> properties, Collection<String> handledElsewhere) {
        Objects.requireNonNull(properties, "properties");
        Objects.requireNonNull(handledElsewhere, "handledElsewhere");
        IdempotencyConfig.Builder b = IdempotencyConfig.custom().namingSettingsByProperty();
        // In name order, so that of two bad values the same one is reported every time.
        for (Map.Entry<String, String> e : new TreeMap<>(properties).entrySet()) {
            String name = e.getKey();
            String text = e.getValue() == null ? "" : e.getValue();
            if (!ours(name) || handledElsewhere.contains(name)) {
                continue;
            }
            switch (name) {
                case KEY_TTL -> b.keyTtl(duration(name, text), name, text);
                case METHODS -> b.methods(list(text), name, text);
                case REQUIRED -> b.required(bool(name, text));
                case CONCURRENT -> b.concurrent(policy(name, text));
                case WAIT_TIMEOUT -> b.waitTimeout(duration(name, text), name, text);
                case RETRY_AFTER -> b.retryAfter(duration(name, text), name, text);
                case MAX_REQUEST_BYTES -> b.maxRequestBytes(bytes(name, text), name, text);
                case MAX_RESPONSE_BYTES -> b.maxResponseBytes(bytes(name, text), name, text);
                case STORED_STATUSES -> b.storedStatuses(statuses(name, text));
                case REPLAYED_HEADERS -> b.replayedHeaders(list(text), name, text);
                case PURGE_INTERVAL -> b.purgeInterval(duration(name, text), name, text);
                case PURGE_BATCH_SIZE -> b.purgeBatchSize(wholeNumber(name, text), name, text);
                case MODE -> b.mode(mode(name, text));
                case LEASE_PATHS -> b.leasePaths(list(text), name, text);
                case LEASE_DURATION -> b.leaseDuration(duration(name, text), name, text);
                case CLAIM -> b.claim(claim(name, text));
                default -> {
                    TreeSet<String> known = new TreeSet<>(NAMES);
                    known.addAll(handledElsewhere);
                    throw IdempotencyConfigException.unknownProperty(name, text, known);
                }
            }
        }
        return b.build();
    }

    private static boolean ours(String name) {
        return name.startsWith(PREFIX);
    }

    private static Duration duration(String name, String text) {
        Duration d = PropertyValues.duration(text);
        if (d == null) {
            throw IdempotencyConfigException.invalid(name, text,
                    "a duration such as 500ms, 30s, 10m, 24h, 7d or PT24H");
        }
        return d;
    }

    private static long bytes(String name, String text) {
        Long bytes = PropertyValues.bytes(text);
        if (bytes == null) {
            throw IdempotencyConfigException.invalid(name, text, "a size in bytes such as 1048576, 512KB or 1MB");
        }
        return bytes;
    }

    private static boolean bool(String name, String text) {
        Boolean b = PropertyValues.bool(text);
        if (b == null) {
            throw IdempotencyConfigException.invalid(name, text, "true or false");
        }
        return b;
    }

    private static int wholeNumber(String name, String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw IdempotencyConfigException.invalid(name, text, "a whole number");
        }
    }

    private static ConcurrentRequestPolicy policy(String name, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "reject" -> ConcurrentRequestPolicy.REJECT;
            case "wait" -> ConcurrentRequestPolicy.WAIT;
            default -> throw IdempotencyConfigException.invalid(name, text, "reject or wait");
        };
    }

    private static ExecutionMode mode(String name, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "transaction" -> ExecutionMode.TRANSACTION;
            case "lease" -> ExecutionMode.LEASE;
            default -> throw IdempotencyConfigException.invalid(name, text, "transaction or lease");
        };
    }

    private static ClaimStrategy claim(String name, String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "pessimistic" -> ClaimStrategy.PESSIMISTIC;
            case "optimistic" -> ClaimStrategy.OPTIMISTIC;
            default -> throw IdempotencyConfigException.invalid(name, text, "pessimistic or optimistic");
        };
    }

    private static StoredStatuses statuses(String name, String text) {
        try {
            return StoredStatuses.parse(text);
        } catch (IllegalArgumentException e) {
            throw IdempotencyConfigException.invalid(name, text,
                    "a list such as " + StoredStatuses.DEFAULT_SPEC + " (" + e.getMessage() + ")");
        }
    }

    private static List<String> list(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
