package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.testing.H2DatabaseExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * {@code idempotency.*} settings travel the way Spring users expect: command line and environment variables
 * reach the filter, and a bad value or a misspelt name stops start-up with the library's message.
 */
class SpringPropertiesReachTheFilterTest {

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    private Map<String, String> database(Map<String, String> more) {
        Map<String, String> properties = new HashMap<>(more);
        properties.put("app.datasource.url", db.jdbcUrl());
        properties.put("app.datasource.username", db.user());
        properties.put("app.datasource.password", db.password());
        return properties;
    }

    private static IdempotencyConfig filterConfig(RunningApplication app) {
        FilterRegistrationBean<?> registration = app.context().getBean("idempotencyFilter", FilterRegistrationBean.class);
        return ((IdempotencyFilter) registration.getFilter()).config();
    }

    @Test
    void commandLinePropertiesReachTheFilter() throws Exception {
        try (RunningApplication app = RunningApplication.start(database(Map.of(
                "idempotency.required", "false", "idempotency.key-ttl", "12h")))) {
            IdempotencyConfig config = filterConfig(app);
            assertEquals(Duration.ofHours(12), config.keyTtl());
            assertFalse(config.required());

            String item = "mug-" + UUID.randomUUID();
            HttpResponse<String> passedThrough = app.post("/orders", "{\"item\":\"" + item + "\"}",
                    "X-Api-Key", OrdersScenarios.API_KEY);
            assertEquals(201, passedThrough.statusCode(), passedThrough::body);
            assertFalse(passedThrough.headers().firstValue("Idempotent-Replayed").isPresent());
            assertEquals(1, app.ordersOf(item));
        }
    }

    @Test
    void environmentVariablesReachTheFilter() {
        // Stands in for the process environment, which a test cannot set: Spring treats a property source of
        // this type and name exactly like the real one, and ranks it above application.properties.
        SystemEnvironmentPropertySource environmentVariables = new SystemEnvironmentPropertySource(
                "test-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                Map.of("IDEMPOTENCY_KEY_TTL", "36h", "IDEMPOTENCY_MAXREQUESTBYTES", "2MB"));
        try (RunningApplication app = RunningApplication.start(database(Map.of()),
                builder -> builder.initializers(context -> context.getEnvironment()
                        .getPropertySources().addBefore(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                environmentVariables)))) {
            IdempotencyConfig config = filterConfig(app);
            assertEquals(Duration.ofHours(36), config.keyTtl());
            assertEquals(2 * 1024 * 1024, config.maxRequestBytes());
        }
    }

    @Test
    void anInvalidValueStopsStartUpNamingThePropertyAndTheValue() {
        RuntimeException failure = assertThrows(RuntimeException.class,
                () -> RunningApplication.start(failingStart("idempotency.key-ttl", "banana")).close());
        IdempotencyConfigException cause = configExceptionIn(failure);
        assertEquals("idempotency.key-ttl", cause.setting());
        assertTrue(cause.getMessage().contains("idempotency.key-ttl") && cause.getMessage().contains("banana"),
                cause::getMessage);
    }

    @Test
    void aMisspeltPropertyStopsStartUp() {
        RuntimeException failure = assertThrows(RuntimeException.class,
                () -> RunningApplication.start(failingStart("idempotency.key-tll", "12h")).close());
        IdempotencyConfigException cause = configExceptionIn(failure);
        assertTrue(cause.getMessage().contains("idempotency.key-tll"), cause::getMessage);
        assertTrue(cause.getMessage().contains("idempotency.key-ttl"), cause::getMessage);
    }

    /**
     * Properties for a start that is meant to fail. Logging is off: Boot and Tomcat would report the expected
     * failure at length (and Tomcat warns about the store's pool threads, which Spring closes only after
     * Tomcat has given up); the test asserts on the exception instead.
     */
    private Map<String, String> failingStart(String property, String value) {
        return database(Map.of(property, value, "logging.level.root", "off"));
    }

    private static IdempotencyConfigException configExceptionIn(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof IdempotencyConfigException config) {
                return config;
            }
        }
        throw new AssertionError("No IdempotencyConfigException in the cause chain", failure);
    }
}
