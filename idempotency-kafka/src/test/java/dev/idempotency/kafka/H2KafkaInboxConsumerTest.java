package dev.idempotency.kafka;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2KafkaInboxConsumerTest extends KafkaInboxConsumerScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }
}
