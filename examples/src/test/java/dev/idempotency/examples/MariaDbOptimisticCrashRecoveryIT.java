package dev.idempotency.examples;

/** {@link MariaDbCrashRecoveryIT} with the optimistic claim for {@code POST /posts} ({@code --claim optimistic}). */
class MariaDbOptimisticCrashRecoveryIT extends MariaDbCrashRecoveryIT {

    @Override
    String claim() {
        return "optimistic";
    }
}
