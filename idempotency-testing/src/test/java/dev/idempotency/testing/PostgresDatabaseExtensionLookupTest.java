package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.idempotency.testing.PostgresDatabaseExtension.ContainerRuntime;
import dev.idempotency.testing.PostgresDatabaseExtension.Server;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/** How the PostgreSQL extension finds its server, with the environment and Docker injected. */
class PostgresDatabaseExtensionLookupTest {

    private static final String URL = PostgresDatabaseExtension.ENV_JDBC_URL;
    private static final String USER = PostgresDatabaseExtension.ENV_JDBC_USER;
    private static final String PASSWORD = PostgresDatabaseExtension.ENV_JDBC_PASSWORD;

    @Test
    void failsWithInstructionsWhenThereIsNoUrlAndNoDocker() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> PostgresDatabaseExtension.locate(Map.of(), containers(true, false)));
        assertEquals("No PostgreSQL for tests: set IDEMPOTENCY_TEST_JDBC_URL (for example"
                + " jdbc:postgresql://127.0.0.1:5432/test?user=postgres) or start a Docker engine so Testcontainers"
                + " can run one.", e.getMessage());
    }

    @Test
    void blankUrlCountsAsNoUrl() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> PostgresDatabaseExtension.locate(Map.of(URL, "  "), containers(true, false)));
        assertEquals(PostgresDatabaseExtension.NO_POSTGRES_MESSAGE, e.getMessage());
    }

    @Test
    void failsWithInstructionsWhenThereIsNoUrlAndNoTestcontainers() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> PostgresDatabaseExtension.locate(Map.of(), containers(false, false)));
        assertEquals("No PostgreSQL for tests: set IDEMPOTENCY_TEST_JDBC_URL (for example"
                + " jdbc:postgresql://127.0.0.1:5432/test?user=postgres), or add"
                + " org.testcontainers:testcontainers-postgresql to the test class path and start a Docker engine"
                + " so Testcontainers can run one.", e.getMessage());
    }

    @Test
    void extensionFailsInsteadOfSkippingWhenThereIsNoServer() {
        PostgresDatabaseExtension db = new PostgresDatabaseExtension(20,
                () -> PostgresDatabaseExtension.locate(Map.of(), containers(true, false)));
        ExtensionConfigurationException before = assertThrows(ExtensionConfigurationException.class,
                () -> db.beforeAll(NoContext.instance()));
        assertEquals(PostgresDatabaseExtension.NO_POSTGRES_MESSAGE, before.getMessage());
        // JUnit still calls afterAll after a failed beforeAll; it must not add a second failure.
        db.afterAll(NoContext.instance());
    }

    @Test
    void startsTheContainerOnlyWhenDockerAnswers() {
        Server container = new Server("jdbc:postgresql://localhost:32768/test?loggerLevel=OFF", "test", "test",
                "Testcontainers");
        assertEquals(container, PostgresDatabaseExtension.locate(Map.of(), new ContainerRuntime() {
            @Override
            public boolean isPresent() {
                return true;
            }

            @Override
            public boolean isDockerAvailable() {
                return true;
            }

            @Override
            public Server start() {
                return container;
            }
        }));
    }

    @Test
    void urlFromTheEnvironmentWinsWithoutAskingForDocker() {
        Server server = PostgresDatabaseExtension.locate(
                Map.of(URL, "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"), untouchable());
        assertEquals("jdbc:postgresql://127.0.0.1:5432/test?user=postgres", server.jdbcUrl());
        assertEquals("postgres", server.user());
        assertNull(server.password());
    }

    @Test
    void userAndPasswordComeFromTheEnvironmentWhenTheUrlHasNone() {
        Server server = PostgresDatabaseExtension.locate(
                Map.of(URL, "jdbc:postgresql://db:5432/test", USER, "app", PASSWORD, "s3cret"), untouchable());
        assertEquals("app", server.user());
        assertEquals("s3cret", server.password());
    }

    @Test
    void userAndPasswordInTheUrlTakePrecedenceAsInTheDriver() {
        Server server = PostgresDatabaseExtension.locate(
                Map.of(URL, "jdbc:postgresql://db/test?user=owner&password=p%26ss", USER, "app", PASSWORD, "x"),
                untouchable());
        assertEquals("owner", server.user());
        assertEquals("p&ss", server.password());
        assertTrue(server.toString().contains("password=***"), server.toString());
    }

    @Test
    void rejectsAUrlThatIsNotPostgres() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> PostgresDatabaseExtension.locate(Map.of(URL, "jdbc:h2:mem:x"), untouchable()));
        assertTrue(e.getMessage().contains("jdbc:postgresql:"), e.getMessage());
    }

    @Test
    void currentSchemaIsAppendedWithTheRightSeparator() {
        assertEquals("jdbc:postgresql://h/db?currentSchema=it_1",
                PostgresDatabaseExtension.withCurrentSchema("jdbc:postgresql://h/db", "it_1"));
        assertEquals("jdbc:postgresql://h/db?user=postgres&currentSchema=it_1",
                PostgresDatabaseExtension.withCurrentSchema("jdbc:postgresql://h/db?user=postgres", "it_1"));
        assertEquals("jdbc:postgresql://h/db?currentSchema=it_1",
                PostgresDatabaseExtension.withCurrentSchema("jdbc:postgresql://h/db?", "it_1"));
        assertEquals("jdbc:postgresql://h/db?a=1&b=2&currentSchema=it_1",
                PostgresDatabaseExtension.withCurrentSchema("jdbc:postgresql://h/db?a=1&&currentSchema=public&b=2&",
                        "it_1"));
    }

    private static ContainerRuntime containers(boolean present, boolean dockerAvailable) {
        return new ContainerRuntime() {
            @Override
            public boolean isPresent() {
                return present;
            }

            @Override
            public boolean isDockerAvailable() {
                if (!present) {
                    fail("asked for Docker although Testcontainers is absent");
                }
                return dockerAvailable;
            }

            @Override
            public Server start() {
                return fail("started a container although Docker is " + (dockerAvailable ? "up" : "down"));
            }
        };
    }

    private static ContainerRuntime untouchable() {
        return new ContainerRuntime() {
            @Override
            public boolean isPresent() {
                return fail("looked for Testcontainers although a URL is set");
            }

            @Override
            public boolean isDockerAvailable() {
                return fail("asked for Docker although a URL is set");
            }

            @Override
            public Server start() {
                return fail("started a container although a URL is set");
            }
        };
    }
}
