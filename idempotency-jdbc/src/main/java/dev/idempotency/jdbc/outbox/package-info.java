/**
 * The transactional outbox: {@link dev.idempotency.jdbc.outbox.JdbcOutbox} stores outbound messages in the
 * application's own database transaction, and {@link dev.idempotency.jdbc.outbox.OutboxRelay}s publish them
 * afterwards, at least once, each with a stable id the receiver deduplicates on. See {@code docs/outbox.md}
 * for the guarantees and their limits.
 */
package dev.idempotency.jdbc.outbox;
