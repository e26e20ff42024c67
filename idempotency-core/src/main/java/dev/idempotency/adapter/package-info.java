/**
 * For framework adapters, such as the servlet filter: an adapter presents a request as an
 * {@link dev.idempotency.adapter.IncomingRequest}, runs the application as a
 * {@link dev.idempotency.adapter.RequestHandler} that captures a
 * {@link dev.idempotency.adapter.HandlerResponse}, and sends what {@link dev.idempotency.Idempotency#process}
 * decided, an {@link dev.idempotency.adapter.Outcome} (refusals are RFC 9457
 * {@link dev.idempotency.adapter.Problem}s). Applications do not need these types.
 */
package dev.idempotency.adapter;
