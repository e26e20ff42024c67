package dev.idempotency.caffeine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoredRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A local cache of completed outcomes in front of an {@link IdempotencyStore}: a replay whose outcome is in it is
 * answered without asking the store, so without a database round trip. Opt-in; wrap the store the filter uses:
 *
 * <pre>{@code
 * IdempotencyStore cached = ReplayCache.builder(jdbcStore).maximumBytes(64 << 20).maximumEntries(100_000).build();
 * IdempotencyFilter filter = IdempotencyFilter.builder(cached).build();
 * }</pre>
 *
 * <p>Why it is safe: a completed record never changes until it expires (only the purge deletes it, and only
 * once expired), and a replay is exactly what the store would answer. The cache holds a record only after the
 * store returned it as {@link ClaimResult.Existing completed}; an entry is found only by the same scope, key and
 * request fingerprint; and it is answered only while {@code now < expiresAt} by the library's clock (the
 * request's {@link ClaimRequest#now()}), so an entry never outlives its record. Everything else (a new key, an
 * in-progress key, a reused key with another body) goes to the store as before.
 *
 * <p>What it changes: anything that deletes or changes a completed record before it expires, other than this
 * library (an operator's {@code DELETE}, restoring a backup), is not seen by instances that cached it until the
 * record's expiry; call {@link #invalidate} or {@link #invalidateAll} on each instance after such a change. The
 * expiry is judged by the application's clock, as with the in-memory store, where the JDBC stores judge it by the
 * database's: with clocks apart by {@code d}, a cached replay may be answered up to {@code d} after the database
 * would have called the record expired.
 *
 * <p>Bounded by entries and by bytes (an estimate of each outcome's size: body, headers, key and scope); an outcome
 * larger than {@link Builder#maximumEntryBytes} is never cached. Thread-safe.
 */
public final class ReplayCache implements IdempotencyStore {

    /** The default bound on the bytes held: 64 MiB. */
    public static final long DEFAULT_MAXIMUM_BYTES = 64L << 20;

    /** The default bound on the entries held. */
    public static final long DEFAULT_MAXIMUM_ENTRIES = 100_000;

    /** The default size of the largest outcome cached: 64 KiB. */
    public static final int DEFAULT_MAXIMUM_ENTRY_BYTES = 64 << 10;

    /** A fixed estimate of what an entry costs beyond its strings and bytes: objects, references, the map's node. */
    private static final int ENTRY_OVERHEAD_BYTES = 200;

    private record Entry(RecordKey key, RequestFingerprint fingerprint) {
    }

    private final IdempotencyStore store;
    private final Cache<Entry, StoredRecord> records;
    private final Clock clock;
    private final long maximumBytes;
    private final long maximumEntries;
    private final int maximumEntryBytes;

    private ReplayCache(Builder builder) {
        this.store = builder.store;
        this.clock = builder.clock;
        this.maximumBytes = builder.maximumBytes;
        this.maximumEntries = builder.maximumEntries;
        this.maximumEntryBytes = builder.maximumEntryBytes;
        // Caffeine bounds a cache by weight or by count, not both: weighing every entry at least
        // maximumBytes / maximumEntries bounds the count by maximumEntries as well.
        long floor = Math.max(1, maximumBytes / maximumEntries);
        this.records = Caffeine.newBuilder()
                .maximumWeight(maximumBytes)
                .weigher((Entry entry, StoredRecord record) -> (int) Math.min(Integer.MAX_VALUE,
                        Math.max(floor, weight(record))))
                .expireAfter(new UntilRecordExpires())
                .build();
    }

    /**
     * A builder of a cache in front of {@code store}.
     *
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(IdempotencyStore store) {
        return new Builder(store);
    }

    /**
     * The outcome in the cache for this request's scope, key and fingerprint, if it has not expired; otherwise what
     * {@code store} answers, keeping a completed outcome it returns.
     */
    @Override
    public ClaimResult claim(ClaimRequest request) {
        Entry entry = new Entry(request.key(), request.fingerprint());
        StoredRecord cached = records.getIfPresent(entry);
        if (cached != null) {
            if (request.now().isBefore(cached.expiresAt())) {
                return new ClaimResult.Existing(cached);
            }
            records.invalidate(entry);
        }
        ClaimResult result = store.claim(request);
        if (result instanceof ClaimResult.Existing existing) {
            StoredRecord record = existing.record();
            if (record.fingerprint().equals(request.fingerprint()) && request.now().isBefore(record.expiresAt())
                    && weight(record) <= maximumEntryBytes) {
                records.put(entry, record);
            }
        }
        return result;
    }

    /** Whether the store behind the cache takes optimistic claims. */
    @Override
    public boolean supportsOptimisticClaims() {
        return store.supportsOptimisticClaims();
    }

    /**
     * The store's optimistic claim, unchanged: an optimistic claim runs the handler before it asks the store
     * anything, so there is no lookup for the cache to answer. (When the key turns out to be taken, the request
     * falls back to {@link #claim}, which the cache does answer.)
     */
    @Override
    public Claim claimOptimistically(ClaimRequest request) {
        return store.claimOptimistically(request);
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        return store.purgeExpired(now, limit);
    }

    @Override
    public boolean adoptPurgeSettings(IdempotencyConfig config) {
        return store.adoptPurgeSettings(config);
    }

    /** Closes the store behind the cache, and empties the cache. */
    @Override
    public void close() {
        records.invalidateAll();
        store.close();
    }

    /** Forgets every outcome cached for {@code key}, whatever the request: after it was deleted or changed by hand. */
    public void invalidate(RecordKey key) {
        Objects.requireNonNull(key, "key");
        records.asMap().keySet().removeIf(entry -> entry.key().equals(key));
    }

    /** Forgets every cached outcome. */
    public void invalidateAll() {
        records.invalidateAll();
    }

    /**
     * How many outcomes are cached, once the evictions still pending are done (Caffeine evicts in the background,
     * so without that the count could briefly exceed the bound).
     */
    public long estimatedSize() {
        records.cleanUp();
        return records.estimatedSize();
    }

    /** The store behind the cache. */
    public IdempotencyStore store() {
        return store;
    }

    @Override
    public String toString() {
        return "ReplayCache[maximumBytes=" + maximumBytes + ", maximumEntries=" + maximumEntries
                + ", maximumEntryBytes=" + maximumEntryBytes + ", store=" + store + "]";
    }

    /** An estimate of what {@code record} holds in memory, in bytes. */
    static long weight(StoredRecord record) {
        long bytes = ENTRY_OVERHEAD_BYTES + record.response().bodyLength() + record.fingerprint().digest().length
                + 2L * (record.key().scope().length() + record.key().key().value().length());
        for (Header header : record.response().headers()) {
            bytes += 2L * (header.name().length() + header.value().length()) + 32;
        }
        return bytes;
    }

    /** An entry lives until its record expires by the cache's clock; the hit itself checks the request's clock. */
    private final class UntilRecordExpires implements Expiry<Entry, StoredRecord> {
        @Override
        public long expireAfterCreate(Entry entry, StoredRecord record, long currentTime) {
            return Math.max(0, Duration.between(clock.instant(), record.expiresAt()).toNanos());
        }

        @Override
        public long expireAfterUpdate(Entry entry, StoredRecord record, long currentTime, long currentDuration) {
            return expireAfterCreate(entry, record, currentTime);
        }

        @Override
        public long expireAfterRead(Entry entry, StoredRecord record, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    /** Settings of a {@link ReplayCache}, validated when built. */
    public static final class Builder {

        private final IdempotencyStore store;
        private long maximumBytes = DEFAULT_MAXIMUM_BYTES;
        private long maximumEntries = DEFAULT_MAXIMUM_ENTRIES;
        private int maximumEntryBytes = DEFAULT_MAXIMUM_ENTRY_BYTES;
        private Clock clock = Clock.systemUTC();

        private Builder(IdempotencyStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** The bound on the estimated bytes of all cached outcomes; {@value #DEFAULT_MAXIMUM_BYTES} by default. */
        public Builder maximumBytes(long maximumBytes) {
            this.maximumBytes = maximumBytes;
            return this;
        }

        /** The bound on the number of cached outcomes; {@value #DEFAULT_MAXIMUM_ENTRIES} by default. */
        public Builder maximumEntries(long maximumEntries) {
            this.maximumEntries = maximumEntries;
            return this;
        }

        /** The largest outcome (estimated bytes) that is cached; larger ones always go to the store. */
        public Builder maximumEntryBytes(int maximumEntryBytes) {
            this.maximumEntryBytes = maximumEntryBytes;
            return this;
        }

        /**
         * The clock that times entries out of memory (the cache never answers from an entry whose record expired
         * by the request's own time, whatever this clock says); the system's by default.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The cache.
         *
         * @throws IdempotencyConfigException naming the setting and its value, if a bound is not positive, or an
         *     entry may be larger than the whole cache
         */
        public ReplayCache build() {
            if (maximumBytes <= 0) {
                throw IdempotencyConfigException.invalid("ReplayCache.maximumBytes", maximumBytes, "a positive number");
            }
            if (maximumEntries <= 0) {
                throw IdempotencyConfigException.invalid("ReplayCache.maximumEntries", maximumEntries,
                        "a positive number");
            }
            if (maximumEntryBytes <= 0 || maximumEntryBytes > maximumBytes) {
                throw IdempotencyConfigException.invalid("ReplayCache.maximumEntryBytes", maximumEntryBytes,
                        "a positive number no larger than maximumBytes (" + maximumBytes + ")");
            }
            return new ReplayCache(this);
        }
    }
}
