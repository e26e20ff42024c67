package dev.idempotency.examples;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scenarios on MariaDB through MySQL Connector/J: the server is given a {@code jdbc:mysql:} URL, as a
 * MySQL user would give it, and the driver talks to MariaDB as to a MySQL server. Also the round trip.
 */
class MySqlDriverPublishingApiTest extends PublishingApiScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create().withMySqlDriver();

    @Override
    Options options() {
        return Options.defaults().withPort(0).withJdbc(DB.jdbcUrl(), DB.user(), DB.password());
    }

    @Test
    void theRoundTripHoldsThroughMySqlConnectorJ() {
        assertTheRoundTripHoldsOnTheDatabaseOfTheUrl();
    }
}
