package dev.idempotency.nats;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JetStreamInboxConsumerScenarios} on PostgreSQL. */
class PostgresJetStreamInboxConsumerTest extends JetStreamInboxConsumerScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }
}
