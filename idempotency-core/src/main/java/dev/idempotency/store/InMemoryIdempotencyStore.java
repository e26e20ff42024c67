package dev.idempotency.store;

import dev.idempotency.ExecutionMode;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimLifecycle;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.KeyTakenException;
import dev.idempotency.spi.LeaseLostException;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoredRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An {@link IdempotencyStore} in this JVM's memory: for tests, and for a single application instance
 * that can afford to forget its keys on restart. It has no transaction, so a handler's database writes do
 * not commit together with the outcome; use the JDBC store for that. Records stay until purged.
 *
 * <p>Leases ({@link ExecutionMode#LEASE}) are judged on the store's clock, given at creation.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    private final Map<RecordKey, Object> entries = new ConcurrentHashMap<>();
    /**
     * Fencing tokens, from one counter for the whole store: a key's entry can be removed (released after a
     * failure, purged) while a holder that stalled past its lease still holds its token, and the key's next
     * claim must still get a larger one.
     */
    private final AtomicLong tokens = new AtomicLong();
    private final Clock clock;

    /** An empty store whose leases follow the system clock. */
    public static InMemoryIdempotencyStore create() {
        return create(Clock.systemUTC());
    }

    /** An empty store whose leases follow {@code clock}. */
    public static InMemoryIdempotencyStore create(Clock clock) {
        return new InMemoryIdempotencyStore(Objects.requireNonNull(clock, "clock"));
    }

    private InMemoryIdempotencyStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        Object[] found = new Object[1];
        MemoryClaim[] created = new MemoryClaim[1];
        entries.compute(request.key(), (key, current) -> {
            Instant storeNow = clock.instant();
            if (current == null || (current instanceof StoredRecord r && !r.expiresAt().isAfter(request.now()))) {
                created[0] = new MemoryClaim(request, tokens.incrementAndGet(), storeNow);
            } else if (current instanceof MemoryClaim held && held.takeableOverBy(request, storeNow)) {
                created[0] = new MemoryClaim(request, tokens.incrementAndGet(), storeNow);
            }
            found[0] = created[0] != null ? created[0] : current;
            return found[0];
        });
        Object result = found[0];
        if (result == created[0]) {
            return new ClaimResult.Acquired(created[0]);
        }
        if (result instanceof StoredRecord record) {
            return new ClaimResult.Existing(record);
        }
        MemoryClaim holder = (MemoryClaim) result;
        if (holder.request.mode() == ExecutionMode.LEASE) {
            Duration left = Duration.between(clock.instant(), holder.leaseExpiresAt);
            return ClaimResult.Busy.leased(left.isNegative() ? Duration.ZERO : left, holder.request.fingerprint());
        }
        return ClaimResult.Busy.heldFor(holder.request.fingerprint());
    }

    /** {@code true}: see {@link #claimOptimistically}. */
    @Override
    public boolean supportsOptimisticClaims() {
        return true;
    }

    /**
     * An optimistic claim: it holds nothing until {@link Claim#complete}, which stores the record only if no
     * entry of the key is there (a record, live or expired, or another claim), and otherwise throws
     * {@link KeyTakenException}. There is no transaction to roll back here.
     */
    @Override
    public Claim claimOptimistically(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.mode() != ExecutionMode.TRANSACTION) {
            throw new IllegalArgumentException("An optimistic claim is a transaction-mode claim, not " + request.mode());
        }
        return new OptimisticMemoryClaim(request, tokens.incrementAndGet());
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        int purged = 0;
        for (Map.Entry<RecordKey, Object> entry : entries.entrySet()) {
            if (purged >= limit) {
                break;
            }
            if (entry.getValue() instanceof StoredRecord r && !r.expiresAt().isAfter(now)
                    && entries.remove(entry.getKey(), r)) {
                purged++;
            }
        }
        return purged;
    }

    /** How many records and open claims the store holds. */
    public int size() {
        return entries.size();
    }

    private final class MemoryClaim implements Claim {

        private final ClaimRequest request;
        private final long token;
        private final ClaimLifecycle lifecycle;
        private volatile Instant leaseExpiresAt;

        MemoryClaim(ClaimRequest request, long token, Instant storeNow) {
            this.request = request;
            this.token = token;
            this.lifecycle = new ClaimLifecycle(request.key().toString());
            this.leaseExpiresAt = request.mode() == ExecutionMode.LEASE ? storeNow.plus(request.leaseDuration())
                    : Instant.MAX;
        }

        /**
         * Whether {@code claimant} may take this claim over: only once its lease ran out (its holder crashed or
         * stalled), and then by a retry of the same request, or by any request once the record's time to live
         * has passed too. A live lease is never taken over, whatever its time to live says.
         */
        boolean takeableOverBy(ClaimRequest claimant, Instant storeNow) {
            boolean leaseExpired = request.mode() == ExecutionMode.LEASE && !leaseExpiresAt.isAfter(storeNow);
            return leaseExpired && (request.fingerprint().equals(claimant.fingerprint())
                    || !request.expiresAt().isAfter(claimant.now()));
        }

        @Override
        public <T> T execute(Work<T> work) throws Exception {
            lifecycle.requireOpen("execute");
            return work.run();
        }

        @Override
        public boolean renew() {
            if (request.mode() != ExecutionMode.LEASE) {
                return true;
            }
            boolean[] held = new boolean[1];
            entries.computeIfPresent(request.key(), (key, current) -> {
                if (current == this) {
                    leaseExpiresAt = clock.instant().plus(request.leaseDuration());
                    held[0] = true;
                }
                return current;
            });
            return held[0];
        }

        @Override
        public long fencingToken() {
            return token;
        }

        @Override
        public void complete(StoredResponse response, Instant expiresAt) {
            Objects.requireNonNull(response, "response");
            Objects.requireNonNull(expiresAt, "expiresAt");
            lifecycle.complete();
            StoredRecord record = new StoredRecord(request.key(), request.fingerprint(), response, request.now(),
                    expiresAt);
            if (!entries.replace(request.key(), this, record)) {
                if (request.mode() == ExecutionMode.LEASE) {
                    throw new LeaseLostException(request.key(), token);
                }
                throw new StoreException("The claim of " + request.key() + " was lost before it completed");
            }
        }

        @Override
        public void abandon() {
            if (lifecycle.abandon()) {
                entries.remove(request.key(), this);
            }
        }

        @Override
        public void close() {
            abandon();
        }
    }

    /** A claim that takes its key only when it completes. */
    private final class OptimisticMemoryClaim implements Claim {

        private final ClaimRequest request;
        private final long token;
        private final ClaimLifecycle lifecycle;

        OptimisticMemoryClaim(ClaimRequest request, long token) {
            this.request = request;
            this.token = token;
            this.lifecycle = new ClaimLifecycle(request.key().toString());
        }

        @Override
        public <T> T execute(Work<T> work) throws Exception {
            lifecycle.requireOpen("execute");
            return work.run();
        }

        @Override
        public long fencingToken() {
            return token;
        }

        @Override
        public void complete(StoredResponse response, Instant expiresAt) {
            Objects.requireNonNull(response, "response");
            Objects.requireNonNull(expiresAt, "expiresAt");
            lifecycle.complete();
            StoredRecord record = new StoredRecord(request.key(), request.fingerprint(), response, request.now(),
                    expiresAt);
            if (entries.putIfAbsent(request.key(), record) != null) {
                throw new KeyTakenException(request.key(), null);
            }
        }

        @Override
        public void abandon() {
            lifecycle.abandon();
        }

        @Override
        public void close() {
            abandon();
        }
    }
}
