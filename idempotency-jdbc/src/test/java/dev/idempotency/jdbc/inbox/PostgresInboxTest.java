package dev.idempotency.jdbc.inbox;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresInboxTest extends InboxScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    /** PostgreSQL waits for the conflicting transaction without a timeout (none is configured). */
    @Override
    protected Duration holdPastTheLockTimeout() {
        return Duration.ofMillis(300);
    }
}
