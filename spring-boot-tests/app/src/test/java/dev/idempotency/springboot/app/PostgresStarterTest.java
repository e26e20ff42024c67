package dev.idempotency.springboot.app;

import dev.idempotency.testing.PostgresDatabaseExtension;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The starter on PostgreSQL, in a schema of each test's own (IDEMPOTENCY_TEST_JDBC_URL). */
class PostgresStarterTest extends StarterScenarios {

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    @Override
    protected Map<String, String> database() {
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
