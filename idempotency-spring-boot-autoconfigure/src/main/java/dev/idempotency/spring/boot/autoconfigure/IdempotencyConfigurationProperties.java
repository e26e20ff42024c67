package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.ConcurrentRequestPolicy;
import dev.idempotency.ClaimStrategy;
import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code idempotency.*} properties, under the same names as the filter's properties outside Spring.
 * Relaxed binding applies ({@code IDEMPOTENCY_KEY_TTL} sets {@code idempotency.key-ttl}), and a misspelt
 * {@code idempotency.*} name fails start-up. The values are read once more by the library's own parser when the
 * settings are built, so each is accepted exactly as it is outside Spring, and a value out of range fails
 * start-up naming the property and the value. The defaults written here are the library's own
 * ({@link IdempotencyConfig}'s {@code DEFAULT_*}; a test keeps them equal), as literals so that the generated
 * configuration metadata shows them.
 */
@ConfigurationProperties(prefix = "idempotency", ignoreUnknownFields = false)
public class IdempotencyConfigurationProperties {

    /** Whether the starter configures anything at all: the filter, the store, the inbox and the outbox. */
    private boolean enabled = true;

    /** How long a key and its stored outcome are kept, counted from the stored outcome; 1s to 365d. */
    private Duration keyTtl = Duration.ofHours(24);

    /** The HTTP methods the protocol covers. */
    private List<String> methods = new ArrayList<>(List.of("POST", "PATCH"));

    /** Whether a covered request without an Idempotency-Key is refused (400) rather than passed through. */
    private boolean required = true;

    /** What a request for a key whose first request is still running gets: 409 at once, or a wait. */
    private ConcurrentRequestPolicy concurrent = ConcurrentRequestPolicy.REJECT;

    /** The longest a request waits for a running one with concurrent=wait; up to 10 minutes. */
    private Duration waitTimeout = Duration.ofSeconds(10);

    /** The Retry-After sent with 409 and 503; 1 second to 1 hour. */
    private Duration retryAfter = Duration.ofSeconds(1);

    /** Larger request bodies are refused with 413 before anything runs. */
    private DataSize maxRequestBytes = DataSize.ofMegabytes(1);

    /** Larger responses are not stored: their effects are rolled back and the client gets 500. */
    private DataSize maxResponseBytes = DataSize.ofMegabytes(1);

    /** The statuses that are stored and replayed, such as 2xx,3xx,4xx,!408,!429. */
    private String storedStatuses = "2xx,3xx,4xx,!408,!429";

    /** Headers replayed besides Content-Type, Location, Content-Location, ETag, Last-Modified, Link and the rest. */
    private List<String> replayedHeaders = new ArrayList<>();

    /** How often expired records are purged; 0 turns the purge off. */
    private Duration purgeInterval = Duration.ofMinutes(1);

    /** Records deleted per purge transaction. */
    private int purgeBatchSize = 1000;

    /** The mode of requests outside lease-paths: transaction or lease. */
    private ExecutionMode mode = ExecutionMode.TRANSACTION;

    /** Paths that run in lease mode: exact (/payments) or prefixes (/payments/*). */
    private List<String> leasePaths = new ArrayList<>();

    /** How long a lease lasts between renewals; 1 second to 1 hour. */
    private Duration leaseDuration = Duration.ofSeconds(30);

    /**
     * When transaction-mode requests claim their key: pessimistic (before the handler runs) or optimistic (with the
     * outcome, just before the commit: one round trip less on a new key, but a retry or a concurrent duplicate runs
     * the handler and is rolled back). Lease-mode requests always claim first.
     */
    private ClaimStrategy claim = ClaimStrategy.PESSIMISTIC;

    /**
     * Who the client is, so that keys of different clients never meet: principal (the authenticated user),
     * header:&lt;Name&gt; (such as header:X-Api-Key, stored as its SHA-256), or the class name of a ScopeResolver.
     */
    private String scope = "principal";

    /**
     * The filter's place in the servlet filter chain; by default just after Spring Security's chain (-100), so
     * that the principal is known.
     */
    private int filterOrder = -90;

    /** Settings for endpoints chosen by path, for handlers that cannot carry @Idempotent; by a name of your own. */
    private Map<String, Endpoint> endpoints = new LinkedHashMap<>();

    /** The inbox, which deduplicates messages a receiver is delivered. */
    private final Inbox inbox = new Inbox();

    /** The transactional outbox and its relay. */
    private final Outbox outbox = new Outbox();

    /** Signed webhooks (Standard Webhooks v1). */
    private final Webhooks webhooks = new Webhooks();

    /** The Micrometer metrics, when the application has a MeterRegistry and idempotency-micrometer. */
    private final Metrics metrics = new Metrics();

    /** The idempotency health indicator, when the application has Actuator's health API. */
    private final Switch health = new Switch();

    /** Observations (spans) of each request's stages, when the application has an ObservationRegistry. */
    private final Switch tracing = new Switch();

    /** The replay cache in front of the store (module idempotency-caffeine): replays answered from memory. */
    private final ReplayCache replayCache = new ReplayCache();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Duration getKeyTtl() {
        return keyTtl;
    }

    public void setKeyTtl(Duration keyTtl) {
        this.keyTtl = keyTtl;
    }

    public List<String> getMethods() {
        return methods;
    }

    public void setMethods(List<String> methods) {
        this.methods = methods;
    }

    public boolean isRequired() {
        return required;
    }

    public void setRequired(boolean required) {
        this.required = required;
    }

    public ConcurrentRequestPolicy getConcurrent() {
        return concurrent;
    }

    public void setConcurrent(ConcurrentRequestPolicy concurrent) {
        this.concurrent = concurrent;
    }

    public Duration getWaitTimeout() {
        return waitTimeout;
    }

    public void setWaitTimeout(Duration waitTimeout) {
        this.waitTimeout = waitTimeout;
    }

    public Duration getRetryAfter() {
        return retryAfter;
    }

    public void setRetryAfter(Duration retryAfter) {
        this.retryAfter = retryAfter;
    }

    public DataSize getMaxRequestBytes() {
        return maxRequestBytes;
    }

    public void setMaxRequestBytes(DataSize maxRequestBytes) {
        this.maxRequestBytes = maxRequestBytes;
    }

    public DataSize getMaxResponseBytes() {
        return maxResponseBytes;
    }

    public void setMaxResponseBytes(DataSize maxResponseBytes) {
        this.maxResponseBytes = maxResponseBytes;
    }

    public String getStoredStatuses() {
        return storedStatuses;
    }

    public void setStoredStatuses(String storedStatuses) {
        this.storedStatuses = storedStatuses;
    }

    public List<String> getReplayedHeaders() {
        return replayedHeaders;
    }

    public void setReplayedHeaders(List<String> replayedHeaders) {
        this.replayedHeaders = replayedHeaders;
    }

    public Duration getPurgeInterval() {
        return purgeInterval;
    }

    public void setPurgeInterval(Duration purgeInterval) {
        this.purgeInterval = purgeInterval;
    }

    public int getPurgeBatchSize() {
        return purgeBatchSize;
    }

    public void setPurgeBatchSize(int purgeBatchSize) {
        this.purgeBatchSize = purgeBatchSize;
    }

    public ExecutionMode getMode() {
        return mode;
    }

    public void setMode(ExecutionMode mode) {
        this.mode = mode;
    }

    public List<String> getLeasePaths() {
        return leasePaths;
    }

    public void setLeasePaths(List<String> leasePaths) {
        this.leasePaths = leasePaths;
    }

    public Duration getLeaseDuration() {
        return leaseDuration;
    }

    public void setLeaseDuration(Duration leaseDuration) {
        this.leaseDuration = leaseDuration;
    }

    public ClaimStrategy getClaim() {
        return claim;
    }

    public void setClaim(ClaimStrategy claim) {
        this.claim = claim;
    }

    public String getScope() {
        return scope;
    }

    public void setScope(String scope) {
        this.scope = scope;
    }

    public int getFilterOrder() {
        return filterOrder;
    }

    public void setFilterOrder(int filterOrder) {
        this.filterOrder = filterOrder;
    }

    public Map<String, Endpoint> getEndpoints() {
        return endpoints;
    }

    public void setEndpoints(Map<String, Endpoint> endpoints) {
        this.endpoints = endpoints;
    }

    public Inbox getInbox() {
        return inbox;
    }

    public Outbox getOutbox() {
        return outbox;
    }

    public Webhooks getWebhooks() {
        return webhooks;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    public Switch getHealth() {
        return health;
    }

    public ReplayCache getReplayCache() {
        return replayCache;
    }

    public Switch getTracing() {
        return tracing;
    }

    /**
     * Settings for the requests whose path matches one of {@code paths} (Spring's path patterns, such as
     * {@code /legacy/**}), as {@link dev.idempotency.spring.Idempotent} gives them to a handler method. Unset
     * values take the global properties.
     */
    public static class Endpoint {

        /** The paths, as Spring MVC path patterns (/orders, /legacy/**), within the application. */
        private List<String> paths = new ArrayList<>();

        /** false takes the endpoints out of the protocol: their requests pass through untouched. */
        private Boolean enabled;

        /** How long their keys are kept. */
        private Duration keyTtl;

        /** transaction or lease. */
        private ExecutionMode mode;

        /** How long their leases last. */
        private Duration leaseDuration;

        /** Whether a request without a key is refused. */
        private Boolean required;

        public List<String> getPaths() {
            return paths;
        }

        public void setPaths(List<String> paths) {
            this.paths = paths;
        }

        public Boolean getEnabled() {
            return enabled;
        }

        public void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getKeyTtl() {
            return keyTtl;
        }

        public void setKeyTtl(Duration keyTtl) {
            this.keyTtl = keyTtl;
        }

        public ExecutionMode getMode() {
            return mode;
        }

        public void setMode(ExecutionMode mode) {
            this.mode = mode;
        }

        public Duration getLeaseDuration() {
            return leaseDuration;
        }

        public void setLeaseDuration(Duration leaseDuration) {
            this.leaseDuration = leaseDuration;
        }

        public Boolean getRequired() {
            return required;
        }

        public void setRequired(Boolean required) {
            this.required = required;
        }
    }

    /** The inbox ({@code JdbcInbox}) on the application's DataSource. */
    public static class Inbox {

        /** Whether a JdbcInbox bean is configured. */
        private boolean enabled = true;

        /**
         * How long a message's marker is kept after it was applied; a redelivery after that is applied again.
         * It must cover the sender's whole retry horizon plus the longest time the receiver may be down.
         */
        private Duration retention = Duration.ofDays(7);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getRetention() {
            return retention;
        }

        public void setRetention(Duration retention) {
            this.retention = retention;
        }
    }

    /** The transactional outbox ({@code JdbcOutbox}) on the application's DataSource. */
    public static class Outbox {

        /**
         * Whether a JdbcOutbox bean is configured, with a relay that runs with the application context when the
         * application defines an OutboxPublisher bean.
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** The replay cache ({@code ReplayCache}, module idempotency-caffeine), off unless switched on. */
    public static class ReplayCache {

        /**
         * Whether completed outcomes are kept in memory, so that a replay is answered without asking the
         * database. Needs dev.idempotency:idempotency-caffeine on the class path.
         */
        private boolean enabled = false;

        /** The bound on the estimated size of all cached outcomes. */
        private DataSize maximumSize = DataSize.ofMegabytes(64);

        /** The bound on the number of cached outcomes. */
        private long maximumEntries = 100_000;

        /** The largest outcome that is cached; larger ones are always read from the database. */
        private DataSize maximumEntrySize = DataSize.ofKilobytes(64);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public DataSize getMaximumSize() {
            return maximumSize;
        }

        public void setMaximumSize(DataSize maximumSize) {
            this.maximumSize = maximumSize;
        }

        public long getMaximumEntries() {
            return maximumEntries;
        }

        public void setMaximumEntries(long maximumEntries) {
            this.maximumEntries = maximumEntries;
        }

        public DataSize getMaximumEntrySize() {
            return maximumEntrySize;
        }

        public void setMaximumEntrySize(DataSize maximumEntrySize) {
            this.maximumEntrySize = maximumEntrySize;
        }
    }

    /** A part that is on unless switched off. */
    public static class Switch {

        /** Whether it is configured (when what it needs is there). */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** The Micrometer metrics. */
    public static class Metrics extends Switch {

        /**
         * How long the outbox and purge backlog gauges keep a value before they query the database again, however
         * often they are scraped.
         */
        private Duration backlogRefresh = Duration.ofSeconds(15);

        public Duration getBacklogRefresh() {
            return backlogRefresh;
        }

        public void setBacklogRefresh(Duration backlogRefresh) {
            this.backlogRefresh = backlogRefresh;
        }
    }

    /** Signed webhooks. */
    public static class Webhooks {

        /** The receiver of signed webhooks. */
        private final Receiver receiver = new Receiver();

        public Receiver getReceiver() {
            return receiver;
        }
    }

    /**
     * The receiver of signed webhooks ({@code WebhookReceiverFilter}): verifies each delivery's signature and
     * applies it once through the inbox. Configured only when {@code path} is set.
     */
    public static class Receiver {

        /**
         * Where webhooks arrive, as a servlet URL pattern: an exact path (/webhooks/payments) or a prefix
         * (/webhooks/*). The idempotency filter leaves these requests to the receiver.
         */
        private String path;

        /** The inbox consumer the deliveries are deduplicated under: one per sender. */
        private String consumer = "webhooks";

        /**
         * The sender's signing secrets (whsec_ followed by base64); during a rotation the new one first, then
         * the old one. Never logged or echoed.
         */
        private List<String> secrets = new ArrayList<>();

        /** How far a delivery's timestamp may be from now, either way. */
        private Duration tolerance = Duration.ofMinutes(5);

        /** Larger deliveries are refused with 413 before anything runs. */
        private DataSize maxBodySize = DataSize.ofMegabytes(1);

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public String getConsumer() {
            return consumer;
        }

        public void setConsumer(String consumer) {
            this.consumer = consumer;
        }

        public List<String> getSecrets() {
            return secrets;
        }

        public void setSecrets(List<String> secrets) {
            this.secrets = secrets;
        }

        public Duration getTolerance() {
            return tolerance;
        }

        public void setTolerance(Duration tolerance) {
            this.tolerance = tolerance;
        }

        public DataSize getMaxBodySize() {
            return maxBodySize;
        }

        public void setMaxBodySize(DataSize maxBodySize) {
            this.maxBodySize = maxBodySize;
        }

        /** A secret's value in {@link #toString()}: never. */
        @Override
        public String toString() {
            return "Receiver[path=" + path + ", consumer=" + consumer + ", " + secrets.size() + " secrets]";
        }
    }
}
