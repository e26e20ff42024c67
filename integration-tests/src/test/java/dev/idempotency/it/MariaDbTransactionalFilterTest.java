package dev.idempotency.it;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The transactional filter's HTTP scenarios on MariaDB, through MariaDB Connector/J. */
class MariaDbTransactionalFilterTest extends TransactionalFilterScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }
}
