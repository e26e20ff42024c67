package dev.idempotency.it.faults;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The duplicate storm on MariaDB, through MariaDB Connector/J. */
class MariaDbDuplicateStormTest extends DuplicateStormScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @Override
    protected String databaseName() {
        return "MariaDB (MariaDB Connector/J)";
    }
}
