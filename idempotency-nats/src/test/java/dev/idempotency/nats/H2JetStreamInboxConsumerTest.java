package dev.idempotency.nats;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JetStreamInboxConsumerScenarios} on H2. */
class H2JetStreamInboxConsumerTest extends JetStreamInboxConsumerScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    TestDatabase database() {
        return DB;
    }
}
