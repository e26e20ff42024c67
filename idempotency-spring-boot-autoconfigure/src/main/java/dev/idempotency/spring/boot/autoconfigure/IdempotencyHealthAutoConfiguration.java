package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code idempotency} health indicator, on the health API of Spring Boot 3 (spring-boot-actuator) or 4
 * (spring-boot-health), when the application has the JDBC store: DOWN when the store's database cannot be
 * read or its schema is behind the library, with the purge backlog, the outbox lag and dead letters as details
 * (see {@link IdempotencyHealthCheck}). Backs off when the application defines a bean named
 * {@code idempotencyHealthIndicator}; {@code idempotency.health.enabled=false} turns it off.
 */
@AutoConfiguration(after = {IdempotencyAutoConfiguration.class, IdempotencyMessagingAutoConfiguration.class})
@ConditionalOnProperty(prefix = "idempotency", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnProperty(prefix = "idempotency.health", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnBean({JdbcIdempotencyStore.class, DataSource.class})
public class IdempotencyHealthAutoConfiguration {

    /** The health indicator on Boot 3. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Boot3Health {

        @Bean
        @ConditionalOnMissingBean(name = "idempotencyHealthIndicator")
        Boot3IdempotencyHealthIndicator idempotencyHealthIndicator(DataSource dataSource, JdbcIdempotencyStore store,
                ObjectProvider<JdbcOutbox> outboxes) {
            return new Boot3IdempotencyHealthIndicator(new IdempotencyHealthCheck(dataSource, store,
                    outboxes.getIfUnique(), Clock.systemUTC()));
        }
    }

    /** The health indicator on Boot 4, whose health API moved to a module of its own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
    // Boot 4 has no actuate.health.HealthIndicator; this keeps the choice single where a class path has both.
    @ConditionalOnMissingClass("org.springframework.boot.actuate.health.HealthIndicator")
    static class Boot4Health {

        @Bean
        @ConditionalOnMissingBean(name = "idempotencyHealthIndicator")
        Boot4IdempotencyHealthIndicator idempotencyHealthIndicator(DataSource dataSource, JdbcIdempotencyStore store,
                ObjectProvider<JdbcOutbox> outboxes) {
            return new Boot4IdempotencyHealthIndicator(new IdempotencyHealthCheck(dataSource, store,
                    outboxes.getIfUnique(), Clock.systemUTC()));
        }
    }
}
