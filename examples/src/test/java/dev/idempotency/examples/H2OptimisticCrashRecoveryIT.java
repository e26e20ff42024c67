package dev.idempotency.examples;

/** {@link H2CrashRecoveryIT} with the optimistic claim for {@code POST /posts} ({@code --claim optimistic}). */
class H2OptimisticCrashRecoveryIT extends H2CrashRecoveryIT {

    @Override
    String claim() {
        return "optimistic";
    }
}
