package dev.idempotency.kafka;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consumer's scenarios with the inbox on MariaDB, the third engine the inbox runs on. */
class MariaDbKafkaInboxConsumerTest extends KafkaInboxConsumerScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }
}
