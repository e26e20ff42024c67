package dev.idempotency.it.faults;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2DuplicateStormTest extends DuplicateStormScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    @Override
    protected String databaseName() {
        return "H2";
    }
}
