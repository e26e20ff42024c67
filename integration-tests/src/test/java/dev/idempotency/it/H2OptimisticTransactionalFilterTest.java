package dev.idempotency.it;

import dev.idempotency.ClaimStrategy;

/** {@link H2TransactionalFilterTest} with the optimistic claim: every scenario holds as with the default one. */
class H2OptimisticTransactionalFilterTest extends H2TransactionalFilterTest {

    @Override
    protected ClaimStrategy claim() {
        return ClaimStrategy.OPTIMISTIC;
    }
}
