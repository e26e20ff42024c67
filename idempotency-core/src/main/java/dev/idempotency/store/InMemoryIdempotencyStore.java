package dev.idempotency.store;

import dev.idempotency.StoredResponse;
import dev.idempotency.internal.ClaimLifecycle;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link IdempotencyStore} in this JVM's memory: for tests, and for a single application instance
 * that can afford to forget its keys on restart. It has no transaction, so a handler's database writes do
 * not commit together with the outcome; use the JDBC store for that. Records stay until purged.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

    private final Map<RecordKey, Object> entries = new ConcurrentHashMap<>();

    /** An empty store. */
    public static InMemoryIdempotencyStore create() {
        return new InMemoryIdempotencyStore();
    }

    private InMemoryIdempotencyStore() {
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        MemoryClaim candidate = new MemoryClaim(request);
        Object[] found = new Object[1];
        entries.compute(request.key(), (key, current) -> {
            if (current == null || (current instanceof StoredRecord r && !r.expiresAt().isAfter(request.now()))) {
                found[0] = candidate;
                return candidate;
            }
            found[0] = current;
            return current;
        });
        if (found[0] == candidate) {
            return new ClaimResult.Acquired(candidate);
        }
        if (found[0] instanceof StoredRecord record) {
            return new ClaimResult.Existing(record);
        }
        return ClaimResult.Busy.unknown();
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
        private final ClaimLifecycle lifecycle;

        MemoryClaim(ClaimRequest request) {
            this.request = request;
            this.lifecycle = new ClaimLifecycle(request.key().toString());
        }

        @Override
        public <T> T execute(Work<T> work) throws Exception {
            lifecycle.requireOpen("execute");
            return work.run();
        }

        @Override
        public void complete(StoredResponse response) {
            Objects.requireNonNull(response, "response");
            lifecycle.completed();
            StoredRecord record = new StoredRecord(request.key(), request.fingerprint(), response, request.now(),
                    request.expiresAt());
            if (!entries.replace(request.key(), this, record)) {
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
}
