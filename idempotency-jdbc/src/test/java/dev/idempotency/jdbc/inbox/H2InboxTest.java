package dev.idempotency.jdbc.inbox;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2InboxTest extends InboxScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    /** Past H2's default lock timeout of 2 s, so the duplicate's insert times out and must wait again. */
    @Override
    protected Duration holdPastTheLockTimeout() {
        return Duration.ofMillis(2500);
    }
}
