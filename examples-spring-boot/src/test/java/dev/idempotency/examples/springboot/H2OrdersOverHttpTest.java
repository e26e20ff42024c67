package dev.idempotency.examples.springboot;

import java.util.Map;

/**
 * The example on the database it has when none is configured: Spring Boot's in-memory H2, a fresh one for each
 * application.
 */
class H2OrdersOverHttpTest extends OrdersOverHttpScenarios {

    @Override
    Map<String, String> database() {
        return Map.of();
    }
}
