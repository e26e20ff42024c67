package dev.idempotency.kafka;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresKafkaInboxConsumerTest extends KafkaInboxConsumerScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }
}
