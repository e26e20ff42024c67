package dev.idempotency.springboot.app;

import java.util.Map;
import java.util.UUID;

/** The starter on H2, in a database of each test's own. */
class H2StarterTest extends StarterScenarios {

    private final String url = "jdbc:h2:mem:starter-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";

    @Override
    protected Map<String, String> database() {
        return Map.of("spring.datasource.url", url, "spring.datasource.username", "sa",
                "spring.datasource.password", "");
    }
}
