package dev.idempotency.it.faults;

import dev.idempotency.ClaimStrategy;

/** {@link H2ServerDatabaseOutageTest} with the optimistic claim for transaction-mode requests. */
class H2ServerOptimisticDatabaseOutageTest extends H2ServerDatabaseOutageTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
