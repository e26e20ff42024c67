package dev.idempotency.it;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresOptimisticClaimTest extends OptimisticClaimScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @Override
    protected String lockWaitsQuery() {
        return "SELECT count(*) FROM pg_locks WHERE NOT granted";
    }
}
