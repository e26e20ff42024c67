/**
 * Receiver-side deduplication: {@link dev.idempotency.jdbc.inbox.JdbcInbox} applies each message of an
 * at-least-once stream (webhooks, queue consumers) once, by recording its stable id in the same database
 * transaction as its effect. See {@code docs/inbox.md} for the guarantees and their limits.
 */
package dev.idempotency.jdbc.inbox;
