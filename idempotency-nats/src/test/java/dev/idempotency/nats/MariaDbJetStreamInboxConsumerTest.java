package dev.idempotency.nats;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JetStreamInboxConsumerScenarios} on MariaDB. */
class MariaDbJetStreamInboxConsumerTest extends JetStreamInboxConsumerScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }
}
