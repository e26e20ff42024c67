package dev.idempotency.it;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2OptimisticClaimTest extends OptimisticClaimScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    /** H2 names no blocker for a wait on a row's transaction: a session still in the record's insert is waiting. */
    @Override
    protected String lockWaitsQuery() {
        return "SELECT count(*) FROM INFORMATION_SCHEMA.SESSIONS "
                + "WHERE EXECUTING_STATEMENT LIKE 'INSERT INTO idempotency_record (key_digest%response_status%'";
    }
}
