package dev.idempotency.jdbc.outbox;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresOutboxTest extends OutboxScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }
}
