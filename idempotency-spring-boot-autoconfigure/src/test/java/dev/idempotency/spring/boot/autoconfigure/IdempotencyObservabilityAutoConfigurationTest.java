package dev.idempotency.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.micrometer.IdempotencyMetrics;
import dev.idempotency.micrometer.IdempotencyObservations;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Each condition of {@link IdempotencyMetricsAutoConfiguration} and {@link IdempotencyHealthAutoConfiguration}. */
class IdempotencyObservabilityAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyMetricsAutoConfiguration.class,
                    IdempotencyTracingAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotencyWebAutoConfiguration.class,
                    IdempotencyMessagingAutoConfiguration.class, IdempotencyHealthAutoConfiguration.class))
            .withUserConfiguration(H2DataSource.class);

    @Configuration(proxyBeanMethods = false)
    static class H2DataSource {
        @Bean(destroyMethod = "close")
        HikariDataSource dataSource() {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
            pool.setUsername("sa");
            return pool;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Registry {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    @Test
    void withAMeterRegistryTheMetricsAreTheListenerOfEveryComponentAndTheBacklogGaugesAreBound() {
        web.withUserConfiguration(Registry.class).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyMetrics.class).hasSingleBean(IdempotencyListener.class);
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            assertThat(registry.find(IdempotencyMetrics.REQUESTS).counters()).isNotEmpty();
            assertThat(registry.find(IdempotencyMetrics.OUTBOX_PENDING).gauge()).isNotNull();
            assertThat(registry.find(IdempotencyMetrics.OUTBOX_PENDING).gauge().value()).isEqualTo(0.0);
            assertThat(registry.find(IdempotencyMetrics.PURGE_BACKLOG).gauge()).isNotNull();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Observations {
        @Bean
        ObservationRegistry observationRegistry() {
            return ObservationRegistry.create();
        }
    }

    @Test
    void withAnObservationRegistryTheStagesAreObservedBesideTheMetrics() {
        web.withUserConfiguration(Registry.class, Observations.class).run(context -> {
            assertThat(context).hasSingleBean(IdempotencyObservations.class).hasSingleBean(IdempotencyMetrics.class);
            assertThat(context.getBeansOfType(IdempotencyListener.class)).hasSize(2);
        });
        web.withUserConfiguration(Observations.class).withPropertyValues("idempotency.tracing.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyObservations.class));
    }

    @Test
    void withoutAMeterRegistryThereAreNoMetrics() {
        web.run(context -> assertThat(context).doesNotHaveBean(IdempotencyMetrics.class)
                .hasSingleBean(JdbcIdempotencyStore.class));
    }

    @Test
    void withoutTheMicrometerModuleThereAreNoMetrics() {
        web.withUserConfiguration(Registry.class).withClassLoader(new FilteredClassLoader(IdempotencyMetrics.class))
                .run(context -> assertThat(context).doesNotHaveBean("idempotencyMetrics")
                        .hasSingleBean(JdbcIdempotencyStore.class));
    }

    @Test
    void metricsCanBeSwitchedOffAndAnApplicationsOwnAreUsed() {
        web.withUserConfiguration(Registry.class).withPropertyValues("idempotency.metrics.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(IdempotencyMetrics.class));
        web.withUserConfiguration(Registry.class)
                .withBean("myMetrics", IdempotencyMetrics.class, () -> IdempotencyMetrics.create(new SimpleMeterRegistry()))
                .run(context -> assertThat(context).hasSingleBean(IdempotencyMetrics.class).hasBean("myMetrics"));
    }

    @Test
    void healthIsUpWithTheBacklogsAsDetails() {
        web.run(context -> {
            Health health = context.getBean("idempotencyHealthIndicator", HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("schemaVersion", IdempotencySchema.LATEST_VERSION)
                    .containsEntry("purgeBacklog", 0L).containsEntry("outboxPending", 0L)
                    .containsEntry("outboxLagSeconds", 0L).containsEntry("outboxDead", 0L);
        });
    }

    @Test
    void healthIsDownWhenTheSchemaIsBehindTheLibrary() {
        web.run(context -> {
            execute(context.getBean(DataSource.class), "DELETE FROM \"" + IdempotencySchema.HISTORY_TABLE
                    + "\" WHERE \"version\" = '" + IdempotencySchema.LATEST_VERSION + "'");
            Health health = context.getBean("idempotencyHealthIndicator", HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("schemaVersion", IdempotencySchema.LATEST_VERSION - 1);
            assertThat((String) health.getDetails().get("reason")).contains("behind");
        });
    }

    @Test
    void healthIsDownWhenTheDatabaseCannotBeReached() {
        web.run(context -> {
            HealthIndicator indicator = context.getBean("idempotencyHealthIndicator", HealthIndicator.class);
            context.getBean(HikariDataSource.class).close();
            Health health = indicator.health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsKey("error");
        });
    }

    @Test
    void healthCanBeSwitchedOff() {
        web.withPropertyValues("idempotency.health.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("idempotencyHealthIndicator"));
    }

    private static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate(sql);
        }
    }
}
