package dev.idempotency.jdbc.outbox;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The outbox on MariaDB, through MariaDB Connector/J. */
class MariaDbOutboxTest extends OutboxScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }
}
