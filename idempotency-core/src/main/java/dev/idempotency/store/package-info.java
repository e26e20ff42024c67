/**
 * The store SPI: how the protocol claims a key, completes it with an outcome, and finds earlier
 * outcomes. {@link dev.idempotency.store.InMemoryIdempotencyStore} implements it for tests and single
 * instances; the {@code idempotency-jdbc} module implements it on PostgreSQL and H2. A new store should
 * pass the contract suite published in {@code idempotency-testing}.
 */
package dev.idempotency.store;
