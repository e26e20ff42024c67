package dev.idempotency.rabbitmq;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consumer's scenarios on PostgreSQL. */
class PostgresRabbitInboxConsumerTest extends RabbitInboxConsumerScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }
}
