package dev.idempotency.it.faults;

import dev.idempotency.ClaimStrategy;

/** {@link H2DuplicateStormTest} with the optimistic claim. */
class H2OptimisticDuplicateStormTest extends H2DuplicateStormTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
