package dev.idempotency.it.faults;

import dev.idempotency.ClaimStrategy;

/** {@link PostgresDatabaseOutageTest} with the optimistic claim for transaction-mode requests. */
class PostgresOptimisticDatabaseOutageTest extends PostgresDatabaseOutageTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
