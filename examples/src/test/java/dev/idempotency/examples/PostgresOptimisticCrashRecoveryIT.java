package dev.idempotency.examples;

/** {@link PostgresCrashRecoveryIT} with the optimistic claim for {@code POST /posts} ({@code --claim optimistic}). */
class PostgresOptimisticCrashRecoveryIT extends PostgresCrashRecoveryIT {

    @Override
    String claim() {
        return "optimistic";
    }
}
