package dev.idempotency.it;

import dev.idempotency.ClaimStrategy;

/** {@link MariaDbTransactionalFilterTest} with the optimistic claim: every scenario holds as with the default one. */
class MariaDbOptimisticTransactionalFilterTest extends MariaDbTransactionalFilterTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
