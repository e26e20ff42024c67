package dev.idempotency;

import dev.idempotency.adapter.IncomingRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Immutable settings of the idempotency protocol. Build one with {@link #custom()}, start from
 * {@link #ofDefaults()} or from another with {@link #from(IdempotencyConfig)}; read one from
 * {@code idempotency.*} properties with {@link IdempotencyProperties#parse(Map)}, whose Javadoc lists them.
 * Every setter validates its argument at once and names the setting and the value when it refuses one.
 */
public final class IdempotencyConfig {

    public static final Duration DEFAULT_KEY_TTL = Duration.ofHours(24);
    public static final Set<String> DEFAULT_METHODS = Collections.unmodifiableSet(new LinkedHashSet<>(
            List.of("POST", "PATCH")));
    public static final boolean DEFAULT_REQUIRED = true;
    public static final ConcurrentRequestPolicy DEFAULT_CONCURRENT = ConcurrentRequestPolicy.REJECT;
    public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);
    public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;
    public static final ExecutionMode DEFAULT_MODE = ExecutionMode.TRANSACTION;
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);
    /** Transaction-mode requests claim their key before the handler runs. */
    public static final ClaimStrategy DEFAULT_CLAIM = ClaimStrategy.PESSIMISTIC;

    /**
     * Headers replayed by default: the ones that describe the stored representation. Besides the six
     * the IETF draft's examples use, {@code Content-Encoding} and {@code Content-Language} (the stored
     * body bytes mean nothing without them) and {@code Allow} (a 405 must carry it).
     */
    public static final List<String> DEFAULT_REPLAYED_HEADERS = List.of("Content-Type", "Location",
            "Content-Location", "ETag", "Last-Modified", "Link", "Content-Encoding", "Content-Language", "Allow");

    /**
     * Headers that are never replayed, whatever the configuration says: credentials and session state
     * belong to the request that created them, and framing headers are recomputed for each response.
     */
    public static final Set<String> NEVER_REPLAYED_HEADERS = Set.of("set-cookie", "set-cookie2", "cookie",
            "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate",
            "authentication-info", "proxy-authentication-info", "content-length", "transfer-encoding",
            "connection", "keep-alive", "te", "trailer", "upgrade", "idempotent-replayed");

    /** The largest body limit: bodies are held in one array. */
    public static final int MAX_BODY_LIMIT = Integer.MAX_VALUE - 16;

    private static final int MAX_PURGE_BATCH_SIZE = 100_000;
    private static final Duration MIN_KEY_TTL = Duration.ofSeconds(1);
    private static final Duration MAX_KEY_TTL = Duration.ofDays(365);

    private final Duration keyTtl;
    private final Set<String> methods;
    private final boolean required;
    private final ConcurrentRequestPolicy concurrent;
    private final Duration waitTimeout;
    private final Duration retryAfter;
    private final int maxRequestBytes;
    private final int maxResponseBytes;
    private final StoredStatuses storedStatuses;
    private final List<String> replayedHeaders;
    private final Set<String> replayedHeadersLowerCase;
    private final Duration purgeInterval;
    private final int purgeBatchSize;
    private final ExecutionMode mode;
    private final List<String> leasePaths;
    private final Duration leaseDuration;
    private final ClaimStrategy claim;
    private final Clock clock;

    private IdempotencyConfig(Builder b) {
        this.keyTtl = b.keyTtl;
        this.methods = Collections.unmodifiableSet(new LinkedHashSet<>(b.methods));
        this.required = b.required;
        this.concurrent = b.concurrent;
        this.waitTimeout = b.waitTimeout;
        this.retryAfter = b.retryAfter;
        this.maxRequestBytes = b.maxRequestBytes;
        this.maxResponseBytes = b.maxResponseBytes;
        this.storedStatuses = b.storedStatuses;
        LinkedHashSet<String> headers = new LinkedHashSet<>(DEFAULT_REPLAYED_HEADERS);
        headers.addAll(b.extraReplayedHeaders);
        this.replayedHeaders = List.copyOf(headers);
        this.replayedHeadersLowerCase = headers.stream().map(h -> h.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        this.purgeInterval = b.purgeInterval;
        this.purgeBatchSize = b.purgeBatchSize;
        this.mode = b.mode;
        this.leasePaths = List.copyOf(b.leasePaths);
        this.leaseDuration = b.leaseDuration;
        this.claim = b.claim;
        this.clock = b.clock;
    }

    /** All defaults. */
    public static IdempotencyConfig ofDefaults() {
        return custom().build();
    }

    /** A builder that starts from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** A builder that starts from {@code base}. */
    public static Builder from(IdempotencyConfig base) {
        return new Builder(Objects.requireNonNull(base, "base"));
    }

    /** How long a key and its stored outcome are kept; a retry after that runs again. */
    public Duration keyTtl() {
        return keyTtl;
    }

    /** The HTTP methods the protocol covers, upper case. Other methods pass through untouched. */
    public Set<String> methods() {
        return methods;
    }

    /** Whether {@code method} is covered. */
    public boolean covers(String method) {
        return methods.contains(method);
    }

    /** Whether a covered request without a key is refused (400) rather than passed through. */
    public boolean required() {
        return required;
    }

    public ConcurrentRequestPolicy concurrent() {
        return concurrent;
    }

    /**
     * The longest a request waits for a concurrent one in {@link ConcurrentRequestPolicy#WAIT} mode, measured
     * on {@link #clock()}.
     */
    public Duration waitTimeout() {
        return waitTimeout;
    }

    /** The {@code Retry-After} sent with 409 and 503 answers. */
    public Duration retryAfter() {
        return retryAfter;
    }

    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    public int maxResponseBytes() {
        return maxResponseBytes;
    }

    public StoredStatuses storedStatuses() {
        return storedStatuses;
    }

    /** The headers replayed with a stored outcome: the defaults plus the configured extras. */
    public List<String> replayedHeaders() {
        return replayedHeaders;
    }

    /** Whether a header with this name is stored and replayed. */
    public boolean replays(String headerName) {
        return replayedHeadersLowerCase.contains(headerName.toLowerCase(Locale.ROOT));
    }

    /** How often expired records are purged; {@link Duration#ZERO} turns the background purge off. */
    public Duration purgeInterval() {
        return purgeInterval;
    }

    public int purgeBatchSize() {
        return purgeBatchSize;
    }

    /** The mode of requests whose path is not in {@link #leasePaths()}. */
    public ExecutionMode mode() {
        return mode;
    }

    /**
     * Path patterns that run in {@link ExecutionMode#LEASE} mode whatever {@link #mode()} says: an exact
     * path ({@code /payments}) or a prefix ending in {@code /*} ({@code /payments/*} matches
     * {@code /payments} and everything under it). They match the path the application routes on
     * ({@link IncomingRequest#routedPath()}): decoded and normalised, context path included, so
     * {@code /%70ayments}, {@code /payments;x=1} and {@code /posts/../payments} are all {@code /payments}.
     */
    public List<String> leasePaths() {
        return leasePaths;
    }

    /** The mode of a request routed to {@code path} (decoded and normalised, context path included). */
    public ExecutionMode modeFor(String path) {
        if (mode == ExecutionMode.LEASE || path == null) {
            return mode;
        }
        for (String pattern : leasePaths) {
            if (pattern.endsWith("/*")) {
                String prefix = pattern.substring(0, pattern.length() - 2);
                if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                    return ExecutionMode.LEASE;
                }
            } else if (path.equals(pattern)) {
                return ExecutionMode.LEASE;
            }
        }
        return mode;
    }

    /** How long a lease lasts; the library renews it every third of that while the handler runs. */
    public Duration leaseDuration() {
        return leaseDuration;
    }

    /**
     * When transaction-mode requests take their key: before the handler ({@link ClaimStrategy#PESSIMISTIC}, the
     * default) or with the outcome ({@link ClaimStrategy#OPTIMISTIC}). Lease-mode requests always claim first.
     */
    public ClaimStrategy claim() {
        return claim;
    }

    /** The clock that dates records, judges their expiry and times a wait in {@code WAIT} mode. */
    public Clock clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "IdempotencyConfig[keyTtl=" + keyTtl + ", methods=" + methods + ", required=" + required
                + ", concurrent=" + concurrent + ", waitTimeout=" + waitTimeout + ", retryAfter=" + retryAfter
                + ", maxRequestBytes=" + maxRequestBytes + ", maxResponseBytes=" + maxResponseBytes
                + ", storedStatuses=" + storedStatuses + ", replayedHeaders=" + replayedHeaders
                + ", purgeInterval=" + purgeInterval + ", purgeBatchSize=" + purgeBatchSize + ", mode=" + mode
                + ", leasePaths=" + leasePaths + ", leaseDuration=" + leaseDuration + ", claim=" + claim + "]";
    }

    /** Builds an {@link IdempotencyConfig}; each setter validates at once. */
    public static final class Builder {

        private Duration keyTtl = DEFAULT_KEY_TTL;
        private Set<String> methods = DEFAULT_METHODS;
        private boolean required = DEFAULT_REQUIRED;
        private ConcurrentRequestPolicy concurrent = DEFAULT_CONCURRENT;
        private Duration waitTimeout = DEFAULT_WAIT_TIMEOUT;
        private Duration retryAfter = DEFAULT_RETRY_AFTER;
        private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private StoredStatuses storedStatuses = StoredStatuses.defaults();
        private List<String> extraReplayedHeaders = List.of();
        private Duration purgeInterval = DEFAULT_PURGE_INTERVAL;
        private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;
        private ExecutionMode mode = DEFAULT_MODE;
        private List<String> leasePaths = List.of();
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private ClaimStrategy claim = DEFAULT_CLAIM;
        private Clock clock = Clock.systemUTC();
        /** Whether messages name settings by their property, as when the values come from properties. */
        private boolean namesSettingsByProperty;
        private String keyTtlShown;
        private String leaseDurationShown;

        private Builder() {
        }

        /**
         * Names the settings by their {@code idempotency.*} property in the messages of {@link #build()}, for
         * a builder that {@link IdempotencyProperties#parse(Map)} fills. (The setters that take the property's
         * name and text do so for their own messages.)
         */
        Builder namingSettingsByProperty() {
            namesSettingsByProperty = true;
            return this;
        }

        private Builder(IdempotencyConfig base) {
            keyTtl = base.keyTtl;
            methods = base.methods;
            required = base.required;
            concurrent = base.concurrent;
            waitTimeout = base.waitTimeout;
            retryAfter = base.retryAfter;
            maxRequestBytes = base.maxRequestBytes;
            maxResponseBytes = base.maxResponseBytes;
            storedStatuses = base.storedStatuses;
            extraReplayedHeaders = base.replayedHeaders.stream()
                    .filter(h -> !DEFAULT_REPLAYED_HEADERS.contains(h)).toList();
            purgeInterval = base.purgeInterval;
            purgeBatchSize = base.purgeBatchSize;
            mode = base.mode;
            leasePaths = base.leasePaths;
            leaseDuration = base.leaseDuration;
            claim = base.claim;
            clock = base.clock;
        }

        /**
         * How long a key and its stored outcome are kept, counted from the moment the outcome is stored; 1
         * second to 365 days, and in lease mode at least {@link #leaseDuration}. Default
         * {@link #DEFAULT_KEY_TTL}.
         */
        public Builder keyTtl(Duration keyTtl) {
            return keyTtl(keyTtl, "keyTtl", keyTtl);
        }

        Builder keyTtl(Duration value, String setting, Object shown) {
            requirePositive(setting, value, shown);
            if (value.compareTo(MIN_KEY_TTL) < 0 || value.compareTo(MAX_KEY_TTL) > 0) {
                throw IdempotencyConfigException.invalid(setting, shown, "a duration from 1s to 365d: a key that "
                        + "lives less than a second is gone before its client could retry");
            }
            this.keyTtl = value;
            this.keyTtlShown = String.valueOf(shown);
            return this;
        }

        /** The covered methods, such as {@code POST, PATCH, PUT}; at least one. Case is normalised to upper. */
        public Builder methods(String... methods) {
            return methods(List.of(methods), "methods", String.join(",", methods));
        }

        Builder methods(Collection<String> values, String setting, String shown) {
            if (values.isEmpty()) {
                throw IdempotencyConfigException.invalid(setting, shown, "at least one HTTP method, such as POST,PATCH");
            }
            LinkedHashSet<String> normalised = new LinkedHashSet<>();
            for (String method : values) {
                String m = Objects.requireNonNull(method, "method").trim().toUpperCase(Locale.ROOT);
                if (m.isEmpty() || !isToken(m)) {
                    throw IdempotencyConfigException.invalid(setting, shown,
                            "HTTP method names such as POST,PATCH ('" + method + "' is not a method name)");
                }
                normalised.add(m);
            }
            this.methods = normalised;
            return this;
        }

        /** Whether a covered request must carry a key (400 without one). Default {@code true}. */
        public Builder required(boolean required) {
            this.required = required;
            return this;
        }

        /** What to do with a concurrent request for a key in progress. Default {@code REJECT}. */
        public Builder concurrent(ConcurrentRequestPolicy policy) {
            this.concurrent = Objects.requireNonNull(policy, "concurrent");
            return this;
        }

        /**
         * The longest wait in {@code WAIT} mode, measured on the {@link #clock}; positive and at most 10
         * minutes. Default 10s.
         */
        public Builder waitTimeout(Duration waitTimeout) {
            return waitTimeout(waitTimeout, "waitTimeout", waitTimeout);
        }

        Builder waitTimeout(Duration value, String setting, Object shown) {
            requirePositive(setting, value, shown);
            if (value.compareTo(Duration.ofMinutes(10)) > 0) {
                throw IdempotencyConfigException.invalid(setting, shown,
                        "at most 10m: a longer wait ties up a server thread for as long");
            }
            this.waitTimeout = value;
            return this;
        }

        /** The {@code Retry-After} for 409 and 503; 1 second (the header counts whole seconds) to 1 hour. */
        public Builder retryAfter(Duration retryAfter) {
            return retryAfter(retryAfter, "retryAfter", retryAfter);
        }

        Builder retryAfter(Duration value, String setting, Object shown) {
            if (value == null || value.compareTo(Duration.ofSeconds(1)) < 0) {
                throw IdempotencyConfigException.invalid(setting, shown, "at least 1s: Retry-After counts whole seconds");
            }
            if (value.compareTo(Duration.ofHours(1)) > 0) {
                throw IdempotencyConfigException.invalid(setting, shown,
                        "at most 1h: a client told to wait longer has given up");
            }
            this.retryAfter = value;
            return this;
        }

        /** The largest request body accepted, in bytes; 413 above it. Default 1 MiB. */
        public Builder maxRequestBytes(long bytes) {
            return maxRequestBytes(bytes, "maxRequestBytes", Long.toString(bytes));
        }

        Builder maxRequestBytes(long bytes, String setting, String shown) {
            this.maxRequestBytes = requireBodyLimit(setting, bytes, shown);
            return this;
        }

        /** The largest response stored, in bytes; a larger one is rolled back and answered 500. Default 1 MiB. */
        public Builder maxResponseBytes(long bytes) {
            return maxResponseBytes(bytes, "maxResponseBytes", Long.toString(bytes));
        }

        Builder maxResponseBytes(long bytes, String setting, String shown) {
            this.maxResponseBytes = requireBodyLimit(setting, bytes, shown);
            return this;
        }

        /** Which statuses are stored and replayed. Default {@link StoredStatuses#defaults()}. */
        public Builder storedStatuses(StoredStatuses statuses) {
            this.storedStatuses = Objects.requireNonNull(statuses, "storedStatuses");
            return this;
        }

        /**
         * Headers to replay in addition to {@link #DEFAULT_REPLAYED_HEADERS}. Credentials, cookies and
         * framing headers ({@link #NEVER_REPLAYED_HEADERS}) are refused.
         */
        public Builder replayedHeaders(String... headers) {
            return replayedHeaders(List.of(headers), "replayedHeaders", String.join(",", headers));
        }

        Builder replayedHeaders(Collection<String> headers, String setting, String shown) {
            for (String header : headers) {
                String h = Objects.requireNonNull(header, "header").trim();
                if (h.isEmpty() || !isToken(h)) {
                    throw IdempotencyConfigException.invalid(setting, shown,
                            "header names such as X-Request-Id ('" + header + "' is not a header name)");
                }
                if (NEVER_REPLAYED_HEADERS.contains(h.toLowerCase(Locale.ROOT))) {
                    throw IdempotencyConfigException.inconsistent(setting, shown, "'" + h
                            + "' is never replayed: credentials and cookies belong to the request that set them, "
                            + "and framing headers are computed for each response");
                }
            }
            this.extraReplayedHeaders = headers.stream().map(String::trim).toList();
            return this;
        }

        /**
         * How often the background purge runs, 1 millisecond to 1 day; {@link Duration#ZERO} turns it off.
         * Default 1 minute.
         */
        public Builder purgeInterval(Duration interval) {
            return purgeInterval(interval, "purgeInterval", interval);
        }

        Builder purgeInterval(Duration value, String setting, Object shown) {
            if (value == null || value.isNegative() || (!value.isZero()
                    && (value.compareTo(Duration.ofMillis(1)) < 0 || value.compareTo(Duration.ofDays(1)) > 0))) {
                throw IdempotencyConfigException.invalid(setting, shown,
                        "a duration from 1ms to 1d, or 0 to turn the purge off");
            }
            this.purgeInterval = value;
            return this;
        }

        /** Records deleted per purge transaction, 1 to 100000. Default 1000. */
        public Builder purgeBatchSize(int size) {
            return purgeBatchSize(size, "purgeBatchSize", size);
        }

        Builder purgeBatchSize(int size, String setting, Object shown) {
            if (size < 1 || size > MAX_PURGE_BATCH_SIZE) {
                throw IdempotencyConfigException.invalid(setting, shown, "a number from 1 to " + MAX_PURGE_BATCH_SIZE);
            }
            this.purgeBatchSize = size;
            return this;
        }

        /** The mode of every request not in {@link #leasePaths}. Default {@code TRANSACTION}. */
        public Builder mode(ExecutionMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Paths that run in lease mode: exact ({@code /payments}) or prefixes ending in {@code /*}
         * ({@code /payments/*}). Default none.
         */
        public Builder leasePaths(String... patterns) {
            return leasePaths(List.of(patterns), "leasePaths", String.join(",", patterns));
        }

        Builder leasePaths(Collection<String> patterns, String setting, String shown) {
            for (String pattern : patterns) {
                String p = Objects.requireNonNull(pattern, "pattern").trim();
                if (!p.startsWith("/") || p.indexOf('*') >= 0 && (!p.endsWith("/*") || p.indexOf('*') != p.length() - 1)) {
                    throw IdempotencyConfigException.invalid(setting, shown,
                            "paths such as /payments or /payments/* ('" + pattern + "' is neither)");
                }
            }
            this.leasePaths = patterns.stream().map(String::trim).toList();
            return this;
        }

        /**
         * How long a lease lasts between renewals (the library renews every third of it); 1 second to 1
         * hour. A crashed request's key is free again after at most this long. Default 30 seconds.
         */
        public Builder leaseDuration(Duration duration) {
            return leaseDuration(duration, "leaseDuration", duration);
        }

        Builder leaseDuration(Duration value, String setting, Object shown) {
            if (value == null || value.compareTo(Duration.ofSeconds(1)) < 0 || value.compareTo(Duration.ofHours(1)) > 0) {
                throw IdempotencyConfigException.invalid(setting, shown, "a duration from 1s to 1h");
            }
            this.leaseDuration = value;
            this.leaseDurationShown = String.valueOf(shown);
            return this;
        }

        /**
         * When transaction-mode requests take their key: {@link ClaimStrategy#PESSIMISTIC} (before the handler
         * runs) or {@link ClaimStrategy#OPTIMISTIC} (with the outcome, just before the commit; see there what
         * changes for the handler). Lease-mode requests, by {@link #mode} or {@link #leasePaths}, always claim
         * first; an optimistic claim with lease mode for every request is refused by {@link #build()}. Default
         * {@link #DEFAULT_CLAIM}.
         */
        public Builder claim(ClaimStrategy claim) {
            this.claim = Objects.requireNonNull(claim, "claim");
            return this;
        }

        /**
         * The clock for record dates and expiry, and for the deadline of a wait in {@code WAIT} mode (a step of
         * the system clock during a wait lengthens or shortens it). Default {@link Clock#systemUTC()}; tests
         * pass their own.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the settings, after checking the ones that depend on each other.
         *
         * @throws IdempotencyConfigException if lease mode is in use (as the {@link #mode} or for some
         *     {@link #leasePaths}) and the key's time to live is shorter than the lease, naming both settings; or
         *     if the {@link #claim} is optimistic and the {@link #mode} is lease, where no request would use it
         */
        public IdempotencyConfig build() {
            if (claim == ClaimStrategy.OPTIMISTIC && mode == ExecutionMode.LEASE) {
                String claimSetting = namesSettingsByProperty ? IdempotencyProperties.CLAIM : "claim";
                String modeSetting = namesSettingsByProperty ? IdempotencyProperties.MODE : "mode";
                throw IdempotencyConfigException.inconsistent(claimSetting, "optimistic", "the optimistic claim is "
                        + "for transaction mode, and " + modeSetting + " is lease: every request claims its key with "
                        + "a lease before its handler runs. Remove " + claimSetting + ", or set " + modeSetting
                        + " to transaction (and name the lease-mode paths in "
                        + (namesSettingsByProperty ? IdempotencyProperties.LEASE_PATHS : "leasePaths") + ").");
            }
            boolean leasesInUse = mode == ExecutionMode.LEASE || !leasePaths.isEmpty();
            if (leasesInUse && keyTtl.compareTo(leaseDuration) < 0) {
                String ttlSetting = namesSettingsByProperty ? IdempotencyProperties.KEY_TTL : "keyTtl";
                String leaseSetting = namesSettingsByProperty ? IdempotencyProperties.LEASE_DURATION : "leaseDuration";
                String lease = leaseDurationShown != null ? "'" + leaseDurationShown + "'"
                        : "'" + leaseDuration + "', the default";
                throw IdempotencyConfigException.inconsistent(ttlSetting, keyTtlShown != null ? keyTtlShown : keyTtl,
                        "shorter than " + leaseSetting + " (" + lease + "). Lease mode is in use, and a key must "
                                + "live at least as long as the lease that guards it: the record of a request whose "
                                + "lease ran out (its process crashed) is kept for that request's retry to take over "
                                + "only within the time to live. Raise " + ttlSetting + " or lower " + leaseSetting
                                + ".");
            }
            return new IdempotencyConfig(this);
        }

        private static void requirePositive(String setting, Duration value, Object shown) {
            if (value == null) {
                throw IdempotencyConfigException.invalid(setting, null, "a positive duration");
            }
            if (value.isNegative() || value.isZero()) {
                throw IdempotencyConfigException.invalid(setting, shown, "a positive duration");
            }
        }

        private static int requireBodyLimit(String setting, long bytes, String shown) {
            if (bytes < 1 || bytes > MAX_BODY_LIMIT) {
                throw IdempotencyConfigException.invalid(setting, shown, "a size from 1 byte to " + MAX_BODY_LIMIT
                        + " bytes");
            }
            return (int) bytes;
        }

        private static boolean isToken(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }
}
