package dev.idempotency.spring.boot.autoconfigure;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** The {@code idempotency} health check on Spring Boot 3's health API. */
final class Boot3IdempotencyHealthIndicator implements HealthIndicator {

    private final IdempotencyHealthCheck check;

    Boot3IdempotencyHealthIndicator(IdempotencyHealthCheck check) {
        this.check = check;
    }

    @Override
    public Health health() {
        IdempotencyHealthCheck.Result result = check.check();
        Health.Builder health = result.up() ? Health.up() : Health.down();
        if (result.failure() != null) {
            health.withException(result.failure());
        }
        return health.withDetails(result.details()).build();
    }
}
