package dev.idempotency.it.faults;

import dev.idempotency.ClaimStrategy;

/** {@link PostgresDuplicateStormTest} with the optimistic claim. */
class PostgresOptimisticDuplicateStormTest extends PostgresDuplicateStormTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
