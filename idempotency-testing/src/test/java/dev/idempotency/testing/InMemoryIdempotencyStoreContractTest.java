package dev.idempotency.testing;

import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.store.InMemoryIdempotencyStore;

/** The in-memory store meets the store contract. */
class InMemoryIdempotencyStoreContractTest extends IdempotencyStoreContract {

    // One store for all tests, as a user's shared store would be: the contract must cope with it.
    private static final InMemoryIdempotencyStore STORE = InMemoryIdempotencyStore.create();

    @Override
    protected IdempotencyStore store() {
        return STORE;
    }
}
