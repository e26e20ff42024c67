/**
 * Test support for idempotency stores: {@link dev.idempotency.testing.IdempotencyStoreContract}, the suite
 * every {@link dev.idempotency.spi.IdempotencyStore} must pass, and JUnit 5 extensions that give each
 * test class or test a fresh PostgreSQL schema ({@link dev.idempotency.testing.PostgresDatabaseExtension})
 * or H2 database ({@link dev.idempotency.testing.H2DatabaseExtension}). Also a clock that tests move
 * ({@link dev.idempotency.testing.MutableClock}), a capture of what the library logs
 * ({@link dev.idempotency.testing.CapturedLog}), and for fault tests, the accounts of actions and their
 * effects that must come out exactly once ({@link dev.idempotency.testing.EffectLedger}) and the knobs of
 * their long-running variants ({@link dev.idempotency.testing.FaultSettings}).
 *
 * <p>The PostgreSQL driver, H2 and Testcontainers are optional dependencies of this module: add the ones
 * your tests use.
 */
package dev.idempotency.testing;
