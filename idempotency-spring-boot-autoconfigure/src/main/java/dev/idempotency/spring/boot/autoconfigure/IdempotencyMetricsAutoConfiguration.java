package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.micrometer.IdempotencyMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * With idempotency-micrometer on the class path and a {@link MeterRegistry} bean, an {@link IdempotencyMetrics}
 * bean, which the store, the filter, the inbox, the outbox and the webhook receiver report to (they take the
 * application's one {@code IdempotencyListener} bean), and the outbox and purge backlog gauges bound to the
 * application's {@link JdbcOutbox} and {@link JdbcIdempotencyStore}. Backs off when the application defines its
 * own {@code IdempotencyMetrics}; {@code idempotency.metrics.enabled=false} turns it off.
 */
@AutoConfiguration(before = IdempotencyAutoConfiguration.class, afterName = {
        // Where the MeterRegistry bean is made, on each Boot line.
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnProperty(prefix = "idempotency", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnClass({IdempotencyMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(prefix = "idempotency.metrics", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyConfigurationProperties.class)
public class IdempotencyMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    IdempotencyMetrics idempotencyMetrics(MeterRegistry registry) {
        return IdempotencyMetrics.create(registry);
    }

    /**
     * Binds the backlog gauges once every singleton exists: the store and the outbox report to the metrics
     * bean, so the metrics bean cannot take them as its own dependencies.
     */
    @Bean
    SmartInitializingSingleton idempotencyBacklogGauges(IdempotencyMetrics metrics,
            ObjectProvider<JdbcIdempotencyStore> stores, ObjectProvider<JdbcOutbox> outboxes,
            IdempotencyConfigurationProperties properties) {
        Duration refresh = properties.getMetrics().getBacklogRefresh();
        if (refresh == null || refresh.isNegative() || refresh.isZero()) {
            throw IdempotencyConfigException.invalid("idempotency.metrics.backlog-refresh", refresh,
                    "a positive duration, such as 15s");
        }
        return () -> {
            stores.ifUnique(store -> metrics.bindPurgeBacklog(store, refresh));
            outboxes.ifUnique(outbox -> metrics.bindOutbox(outbox, refresh));
        };
    }
}
