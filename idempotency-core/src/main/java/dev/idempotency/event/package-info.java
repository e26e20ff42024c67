/**
 * What the library reports as it works, for metrics, traces and logs: one {@link dev.idempotency.event.IdempotencyListener}
 * receives an immutable event for every decision the protocol makes on a request, every purge run, every inbox
 * delivery, every outbox relay batch and every webhook verification.
 *
 * <p>Events never carry an idempotency key, a request or response body, a secret, or a scope in clear: a
 * scope appears only as a short hash, enough to tell a hot client from many. Every value an event carries
 * that a metrics backend might use as a tag comes from a closed set (an enum).
 */
package dev.idempotency.event;
