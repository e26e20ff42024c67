/**
 * What an application uses: the settings ({@link dev.idempotency.IdempotencyConfig}, read from
 * {@code idempotency.*} properties by {@link dev.idempotency.IdempotencyProperties}), the running request's
 * {@link dev.idempotency.IdempotencyContext} (its key, mode and derived keys for downstream calls), the
 * protocol's header names ({@link dev.idempotency.IdempotencyHeaders}), and the exceptions it throws at
 * start-up.
 *
 * <p>{@link dev.idempotency.Idempotency} is the protocol itself, independent of any web framework or database:
 * it decides, for one request, whether to pass it through, refuse it, replay a stored outcome, or run the
 * handler inside a claim of its key. Framework adapters call it through the types in
 * {@link dev.idempotency.adapter}; stores implement {@link dev.idempotency.spi}. Ready-made stores and their
 * background work are in {@link dev.idempotency.store}. {@code dev.idempotency.internal} is not exported.
 */
package dev.idempotency;
