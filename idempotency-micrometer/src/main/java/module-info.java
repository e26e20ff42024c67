/**
 * Micrometer metrics for the idempotency library: {@link dev.idempotency.micrometer.IdempotencyMetrics} is an
 * {@code IdempotencyListener} that counts and times what the library reports, and binds the outbox and purge
 * backlog gauges, which read the JDBC store (an optional dependency, needed only for those gauges);
 * {@link dev.idempotency.micrometer.IdempotencyObservations} opens an Observation around each stage, for traces.
 */
module dev.idempotency.micrometer {
    requires transitive dev.idempotency.core;
    requires transitive micrometer.core;
    requires transitive micrometer.observation;
    requires static transitive dev.idempotency.jdbc;

    exports dev.idempotency.micrometer;
}
