/**
 * Micrometer metrics for the idempotency library: {@link dev.idempotency.micrometer.IdempotencyMetrics} is an
 * {@code IdempotencyListener} that counts and times what the library reports, and binds the outbox and purge
 * backlog gauges, which read the JDBC store (an optional dependency, needed only for those gauges).
 */
module dev.idempotency.micrometer {
    requires transitive dev.idempotency.core;
    requires transitive micrometer.core;
    requires static transitive dev.idempotency.jdbc;

    exports dev.idempotency.micrometer;
}
