package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example on embedded Tomcat 11 with PostgreSQL, in a fresh schema. The server comes from
 * {@value PostgresDatabaseExtension#ENV_JDBC_URL} (or Testcontainers); without one the test fails.
 */
class PostgresOrdersOverHttpTest {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private static RunningApplication app;

    @BeforeAll
    static void start() {
        app = RunningApplication.start(Map.of("app.datasource.url", DB.jdbcUrl(),
                "app.datasource.username", DB.user() == null ? "" : DB.user(),
                "app.datasource.password", DB.password() == null ? "" : DB.password()));
    }

    @AfterAll
    static void stop() {
        // Before the extension drops the schema: the application's pool holds connections into it.
        if (app != null) {
            app.close();
        }
    }

    @Test
    void runsOnPostgresql() {
        assertEquals(DatabaseEngine.POSTGRESQL, app.context().getBean(JdbcIdempotencyStore.class).engine());
    }

    @Test
    void replaysTheFirstAnswerAndInsertsOnce() throws Exception {
        OrdersScenarios.replaysTheFirstAnswerAndInsertsOnce(app);
    }

    @Test
    void rollsBackAThrowingHandlerAndRunsTheRetry() throws Exception {
        OrdersScenarios.rollsBackAThrowingHandlerAndRunsTheRetry(app);
    }
}
