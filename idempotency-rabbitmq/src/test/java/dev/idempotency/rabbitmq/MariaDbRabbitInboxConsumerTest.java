package dev.idempotency.rabbitmq;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consumer's scenarios on MariaDB. */
class MariaDbRabbitInboxConsumerTest extends RabbitInboxConsumerScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }
}
