/**
 * The Idempotency-Key protocol, independent of any web framework or database.
 *
 * <p>{@link dev.idempotency.Idempotency} decides, for one request, whether to pass it through, refuse it
 * (with an RFC 9457 {@link dev.idempotency.Problem}), replay a stored outcome, or run the handler inside a
 * claim of its key; {@link dev.idempotency.IdempotencyConfig} holds the settings;
 * {@link dev.idempotency.RequestFingerprint} says when two requests are the same request. The store SPI is
 * in {@link dev.idempotency.store}. Implementation details live in {@code dev.idempotency.internal}, which
 * is not API.
 */
package dev.idempotency;
