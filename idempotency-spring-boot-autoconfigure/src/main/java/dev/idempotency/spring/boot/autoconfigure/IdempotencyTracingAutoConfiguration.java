package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.micrometer.IdempotencyObservations;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * With idempotency-micrometer on the class path and an {@link ObservationRegistry} bean, an
 * {@link IdempotencyObservations} bean: each covered request, its claim, handler and outcome write, and each
 * outbox publication become Observations, so a tracing bridge turns them into spans. It is one of the
 * {@code IdempotencyListener} beans every component reports to. Backs off when the application defines its
 * own; {@code idempotency.tracing.enabled=false} turns it off.
 */
@AutoConfiguration(before = IdempotencyAutoConfiguration.class, afterName = {
        // Where the ObservationRegistry bean is made, on each Boot line.
        "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"})
@ConditionalOnClass({IdempotencyObservations.class, ObservationRegistry.class})
@ConditionalOnBean(ObservationRegistry.class)
@ConditionalOnProperty(prefix = "idempotency.tracing", name = "enabled", havingValue = "true", matchIfMissing = true)
public class IdempotencyTracingAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    IdempotencyObservations idempotencyObservations(ObservationRegistry registry) {
        return IdempotencyObservations.create(registry);
    }
}
