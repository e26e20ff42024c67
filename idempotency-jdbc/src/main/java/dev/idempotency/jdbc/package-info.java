/**
 * The JDBC store for PostgreSQL and H2: {@link dev.idempotency.jdbc.JdbcIdempotencyStore}, its schema
 * ({@link dev.idempotency.jdbc.IdempotencySchema}), and
 * {@link dev.idempotency.jdbc.TransactionJoiningDataSource}, the DataSource handlers use so their writes
 * commit together with the stored outcome; {@link dev.idempotency.jdbc.Redaction} hides the passwords of JDBC
 * URLs in messages. Implementation details live in
 * {@code dev.idempotency.jdbc.internal}, which is not API.
 */
package dev.idempotency.jdbc;
