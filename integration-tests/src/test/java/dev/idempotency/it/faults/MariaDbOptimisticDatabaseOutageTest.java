package dev.idempotency.it.faults;

import dev.idempotency.ClaimStrategy;

/** {@link MariaDbDatabaseOutageTest} with the optimistic claim for transaction-mode requests. */
class MariaDbOptimisticDatabaseOutageTest extends MariaDbDatabaseOutageTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
