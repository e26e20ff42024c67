package dev.idempotency.it.faults;

import dev.idempotency.ClaimStrategy;

/** {@link MariaDbDuplicateStormTest} with the optimistic claim. */
class MariaDbOptimisticDuplicateStormTest extends MariaDbDuplicateStormTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
