package dev.idempotency.it;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import org.junit.jupiter.api.extension.RegisterExtension;

class MariaDbOptimisticClaimTest extends OptimisticClaimScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    /** As on H2: a session still in the record's insert is waiting (the process list is read directly). */
    @Override
    protected String lockWaitsQuery() {
        return "SELECT count(*) FROM information_schema.PROCESSLIST "
                + "WHERE INFO LIKE 'INSERT INTO idempotency_record (key_digest%response_status%'";
    }
}
