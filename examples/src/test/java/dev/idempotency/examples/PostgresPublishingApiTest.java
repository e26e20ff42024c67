package dev.idempotency.examples;

import dev.idempotency.testing.PostgresDatabaseExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scenarios on PostgreSQL, in a fresh schema for this class: the server is given its JDBC URL, as
 * {@code --jdbc-url} would, and builds its own pool on it. Needs a server (see
 * {@link PostgresDatabaseExtension}); without one the tests fail. Also the round trip on PostgreSQL (on H2,
 * {@code ExecutableJarIT} runs it from the shaded jar).
 */
class PostgresPublishingApiTest extends PublishingApiScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    Options options() {
        return Options.defaults().withPort(0).withJdbc(DB.jdbcUrl(), DB.user(), DB.password());
    }

    @Test
    void theRoundTripHoldsOnPostgres() {
        assertTheRoundTripHoldsOnTheDatabaseOfTheUrl();
    }
}
