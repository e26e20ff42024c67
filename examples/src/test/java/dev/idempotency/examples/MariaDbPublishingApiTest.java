package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.testing.MariaDbDatabaseExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scenarios on MariaDB through MariaDB Connector/J, in a database of this class's own (see
 * {@link MariaDbDatabaseExtension}; without {@code IDEMPOTENCY_TEST_MARIADB_URL} the tests fail): the server
 * is given its {@code jdbc:mariadb:} URL, as {@code --jdbc-url} would. Also the round trip, and a database
 * that does not exist.
 */
class MariaDbPublishingApiTest extends PublishingApiScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    Options options() {
        return Options.defaults().withPort(0).withJdbc(DB.jdbcUrl(), DB.user(), DB.password());
    }

    @Test
    void theRoundTripHoldsOnMariaDb() {
        assertTheRoundTripHoldsOnTheDatabaseOfTheUrl();
    }

    /**
     * The demo creates no database, on MariaDB as on PostgreSQL: a missing one is refused at start-up naming
     * the URL and the server's reason.
     */
    @Test
    void aDatabaseThatDoesNotExistIsRefusedAtStartUpNamingTheUrl() {
        server.stop();
        String missing = DB.jdbcUrl().replace(DB.databaseName(), "no_such_database");
        Options options = Options.defaults().withPort(0).withJdbc(missing, null, null);

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> PublishingApiServer.start(options));

        assertTrue(e.getMessage().startsWith("Cannot open a connection pool on " + missing + ": "), e.getMessage());
        assertTrue(e.getMessage().endsWith("Unknown database 'no_such_database'"), e.getMessage());
    }
}
