package dev.idempotency.it.lease;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The lease-mode scenarios on MariaDB, through MariaDB Connector/J. */
class MariaDbLeaseModeTest extends LeaseModeScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }
}
