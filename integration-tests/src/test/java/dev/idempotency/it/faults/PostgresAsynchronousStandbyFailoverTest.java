package dev.idempotency.it.faults;

import dev.idempotency.testing.PostgresFailoverExtension;
import dev.idempotency.testing.PostgresFailoverExtension.Replication;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The failover with asynchronous replication: a fresh primary and standby for each test. */
class PostgresAsynchronousStandbyFailoverTest extends StandbyFailoverScenarios {

    @RegisterExtension
    final PostgresFailoverExtension pg = PostgresFailoverExtension.create(Replication.ASYNCHRONOUS);

    @Override
    protected PostgresFailoverExtension pg() {
        return pg;
    }
}
