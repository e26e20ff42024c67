package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.IdempotencyProperties;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.core.env.Environment;

/**
 * Builds {@link IdempotencyConfig}s from Spring's properties with the library's own parser, so that a value is
 * accepted in application.properties exactly as it is in the filter's init parameters, and a refusal names the
 * property and the value as the user wrote it. Overrides for one endpoint (an {@code @Idempotent} annotation, an
 * {@code idempotency.endpoints.*} rule) are read the same way and refused under the name of where they were
 * written.
 */
final class SettingsFactory {

    private final Map<String, String> globalProperties;

    private SettingsFactory(Map<String, String> globalProperties) {
        this.globalProperties = globalProperties;
    }

    /**
     * The global settings' texts: what the environment holds for each property (the text as written, found
     * under any relaxed name), or else the bound value written back as text.
     */
    static SettingsFactory of(IdempotencyConfigurationProperties bound, Environment environment) {
        Map<String, String> texts = new LinkedHashMap<>();
        put(texts, environment, IdempotencyProperties.KEY_TTL, iso(bound.getKeyTtl()));
        put(texts, environment, IdempotencyProperties.METHODS, String.join(",", bound.getMethods()));
        put(texts, environment, IdempotencyProperties.REQUIRED, Boolean.toString(bound.isRequired()));
        put(texts, environment, IdempotencyProperties.CONCURRENT, lower(bound.getConcurrent()));
        put(texts, environment, IdempotencyProperties.WAIT_TIMEOUT, iso(bound.getWaitTimeout()));
        put(texts, environment, IdempotencyProperties.RETRY_AFTER, iso(bound.getRetryAfter()));
        put(texts, environment, IdempotencyProperties.MAX_REQUEST_BYTES,
                bound.getMaxRequestBytes() == null ? null : Long.toString(bound.getMaxRequestBytes().toBytes()));
        put(texts, environment, IdempotencyProperties.MAX_RESPONSE_BYTES,
                bound.getMaxResponseBytes() == null ? null : Long.toString(bound.getMaxResponseBytes().toBytes()));
        put(texts, environment, IdempotencyProperties.STORED_STATUSES, bound.getStoredStatuses());
        put(texts, environment, IdempotencyProperties.REPLAYED_HEADERS, String.join(",", bound.getReplayedHeaders()));
        put(texts, environment, IdempotencyProperties.PURGE_INTERVAL, iso(bound.getPurgeInterval()));
        put(texts, environment, IdempotencyProperties.PURGE_BATCH_SIZE, Integer.toString(bound.getPurgeBatchSize()));
        put(texts, environment, IdempotencyProperties.MODE, lower(bound.getMode()));
        put(texts, environment, IdempotencyProperties.LEASE_PATHS, String.join(",", bound.getLeasePaths()));
        put(texts, environment, IdempotencyProperties.LEASE_DURATION, iso(bound.getLeaseDuration()));
        put(texts, environment, IdempotencyProperties.CLAIM, lower(bound.getClaim()));
        return new SettingsFactory(texts);
    }

    /** The global settings. */
    IdempotencyConfig global() {
        return IdempotencyProperties.parse(globalProperties);
    }

    /**
     * The settings of one endpoint: the global ones with some properties given other texts.
     *
     * @param where where the overrides were written, such as {@code @Idempotent on OrdersController.create},
     *     for messages
     * @param overrides property name to text; a {@code null} text keeps the global value
     * @param extraMethod a method the endpoint is covered for besides the global ones, or {@code null}
     * @throws IdempotencyConfigException naming {@code where} and the property, if an override is refused
     */
    IdempotencyConfig endpoint(String where, Map<String, String> overrides, String extraMethod) {
        Map<String, String> texts = new LinkedHashMap<>(globalProperties);
        overrides.forEach((name, text) -> {
            if (text != null) {
                texts.put(name, text);
            }
        });
        if (extraMethod != null) {
            Set<String> methods = new TreeSet<>(List.of(texts.get(IdempotencyProperties.METHODS).split(",")));
            methods.add(extraMethod.toUpperCase(Locale.ROOT));
            texts.put(IdempotencyProperties.METHODS, String.join(",", methods));
        }
        try {
            return IdempotencyProperties.parse(texts);
        } catch (IdempotencyConfigException e) {
            String text = overrides.get(e.setting());
            throw text == null ? e : e.renamed(e.setting() + " of " + where, text);
        }
    }

    /** The texts of the properties that one endpoint's overrides may change, by property name. */
    static Map<String, String> overrides(Duration keyTtl, ExecutionMode mode, Duration leaseDuration,
            Boolean required) {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put(IdempotencyProperties.KEY_TTL, iso(keyTtl));
        overrides.put(IdempotencyProperties.MODE, mode == null ? null : lower(mode));
        overrides.put(IdempotencyProperties.LEASE_DURATION, iso(leaseDuration));
        overrides.put(IdempotencyProperties.REQUIRED, required == null ? null : required.toString());
        if (mode != null) {
            // An endpoint told "transaction" must not fall back into a global lease path, and one told "lease"
            // is leased wherever it is.
            overrides.put(IdempotencyProperties.LEASE_PATHS, "");
        }
        if (mode == ExecutionMode.LEASE) {
            // The claim setting is the claim of transaction-mode requests; a leased endpoint claims with its lease
            // whatever it says, and an optimistic claim with lease mode would be refused as meaningless.
            overrides.put(IdempotencyProperties.CLAIM, "pessimistic");
        }
        return overrides;
    }

    private static void put(Map<String, String> texts, Environment environment, String name, String bound) {
        String written = environment.getProperty(name);
        String text = written != null ? written : bound;
        if (text != null) {
            texts.put(name, text);
        }
    }

    private static String iso(Duration duration) {
        return duration == null ? null : duration.toString();
    }

    private static String lower(Enum<?> value) {
        return value == null ? null : value.name().toLowerCase(Locale.ROOT);
    }

    /** The names of the properties this class reads, for messages. */
    static Collection<String> propertyNames() {
        return IdempotencyProperties.NAMES;
    }
}
