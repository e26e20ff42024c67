package dev.idempotency.it.faults;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2RandomisedFaultTest extends RandomisedFaultScenarios {

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

    /** H2 has no deferrable constraints, so a commit cannot be made to fail on request. */
    @Override
    protected boolean canFailCommits() {
        return false;
    }
}
