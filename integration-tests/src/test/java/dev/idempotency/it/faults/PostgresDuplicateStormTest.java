package dev.idempotency.it.faults;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresDuplicateStormTest extends DuplicateStormScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @Override
    protected String databaseName() {
        return "PostgreSQL";
    }
}
