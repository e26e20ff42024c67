package dev.idempotency.servlet;

import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.store.InMemoryIdempotencyStore;

/** The default {@link StoreUnderTest}: a fresh {@link InMemoryIdempotencyStore}. */
final class InMemoryStoreUnderTest implements StoreUnderTest {

    private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();

    @Override
    public IdempotencyStore store() {
        return store;
    }

    /** The store's {@link InMemoryIdempotencyStore#size() size}: its records and open claims. */
    @Override
    public int recordCount() {
        return store.size();
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public String toString() {
        return "in-memory store";
    }
}
