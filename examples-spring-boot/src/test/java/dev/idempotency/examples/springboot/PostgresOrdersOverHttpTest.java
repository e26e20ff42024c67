package dev.idempotency.examples.springboot;

import dev.idempotency.testing.PostgresDatabaseExtension;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example on PostgreSQL, in a fresh schema, configured as a user would: {@code spring.datasource.*}. The
 * server comes from {@value PostgresDatabaseExtension#ENV_JDBC_URL} (or Testcontainers); without one the test
 * fails.
 */
class PostgresOrdersOverHttpTest extends OrdersOverHttpScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    Map<String, String> database() {
        return datasource(DB);
    }

    /** The {@code spring.datasource.*} properties of {@code db}'s schema. */
    static Map<String, String> datasource(PostgresDatabaseExtension db) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("spring.datasource.url", db.jdbcUrl());
        if (db.user() != null) {
            properties.put("spring.datasource.username", db.user());
        }
        if (db.password() != null) {
            properties.put("spring.datasource.password", db.password());
        }
        return properties;
    }
}
