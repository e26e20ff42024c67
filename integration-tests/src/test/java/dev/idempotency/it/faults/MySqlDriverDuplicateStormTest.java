package dev.idempotency.it.faults;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The duplicate storm on MariaDB, through MySQL Connector/J. */
class MySqlDriverDuplicateStormTest extends DuplicateStormScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create().withMySqlDriver();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @Override
    protected String databaseName() {
        return "MariaDB (MySQL Connector/J)";
    }
}
