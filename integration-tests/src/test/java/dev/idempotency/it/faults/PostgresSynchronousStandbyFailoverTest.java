package dev.idempotency.it.faults;

import dev.idempotency.testing.PostgresFailoverExtension;
import dev.idempotency.testing.PostgresFailoverExtension.Replication;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The failover with synchronous replication: a fresh primary and standby for each test. */
class PostgresSynchronousStandbyFailoverTest extends StandbyFailoverScenarios {

    @RegisterExtension
    final PostgresFailoverExtension pg = PostgresFailoverExtension.create(Replication.SYNCHRONOUS);

    @Override
    protected PostgresFailoverExtension pg() {
        return pg;
    }
}
