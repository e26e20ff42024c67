package dev.idempotency.it.faults;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresRandomisedFaultTest extends RandomisedFaultScenarios {

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

    @Override
    protected boolean canFailCommits() {
        return true;
    }
}
