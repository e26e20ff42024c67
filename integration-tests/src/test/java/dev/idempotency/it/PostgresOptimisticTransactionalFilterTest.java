package dev.idempotency.it;

import dev.idempotency.ClaimStrategy;

/** {@link PostgresTransactionalFilterTest} with the optimistic claim: every scenario holds as with the default one. */
class PostgresOptimisticTransactionalFilterTest extends PostgresTransactionalFilterTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
