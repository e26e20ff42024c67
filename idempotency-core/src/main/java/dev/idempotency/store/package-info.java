/**
 * Stores an application can use as they are: {@link dev.idempotency.store.InMemoryIdempotencyStore}, for
 * tests and single instances, and {@link dev.idempotency.store.ExpiredRecordPurger}, which removes expired
 * records of any store in the background. The JDBC store is in the {@code idempotency-jdbc} module.
 */
package dev.idempotency.store;
