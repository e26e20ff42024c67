package dev.idempotency.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.caffeine.ReplayCache;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spi.IdempotencyStore;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code idempotency.replay-cache.*}: off by default, the filter's store when on, and clear when it cannot be. */
class IdempotencyReplayCacheAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
                    IdempotencyReplayCacheAutoConfiguration.class, IdempotencyWebAutoConfiguration.class))
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

    @Test
    void offByDefault() {
        web.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(ReplayCache.class);
            assertThat(context.getBean(IdempotencyStore.class)).isInstanceOf(JdbcIdempotencyStore.class);
        });
    }

    @Test
    void onItIsTheStoreTheFilterTakesInFrontOfTheJdbcStore() {
        web.withPropertyValues("idempotency.replay-cache.enabled=true", "idempotency.replay-cache.maximum-entries=500")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(ReplayCache.class)
                            .hasSingleBean(JdbcIdempotencyStore.class)
                            .hasBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION);
                    ReplayCache cache = context.getBean(ReplayCache.class);
                    assertThat(context.getBean(IdempotencyStore.class)).isSameAs(cache);
                    assertThat(cache.store()).isSameAs(context.getBean(JdbcIdempotencyStore.class));
                    assertThat(cache.toString()).contains("maximumEntries=500");
                });
    }

    @Test
    void aBadBoundFailsStartUpNamingThePropertyAndTheValue() {
        web.withPropertyValues("idempotency.replay-cache.enabled=true", "idempotency.replay-cache.maximum-entries=0")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause().isInstanceOf(IdempotencyConfigException.class)
                            .hasMessageContaining("idempotency.replay-cache.maximum-entries")
                            .hasMessageContaining("'0'");
                });
    }

    @Test
    void onWithoutTheModuleFailsStartUpSayingWhatToAdd() {
        web.withPropertyValues("idempotency.replay-cache.enabled=true")
                .withClassLoader(new FilteredClassLoader(ReplayCache.class)).run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause().isInstanceOf(IdempotencyConfigException.class)
                            .hasMessageContaining("idempotency.replay-cache.enabled")
                            .hasMessageContaining("idempotency-caffeine");
                });
    }

    @Test
    void theDefaultsWrittenForTheMetadataAreTheCaches() {
        IdempotencyConfigurationProperties.ReplayCache defaults = new IdempotencyConfigurationProperties()
                .getReplayCache();
        assertThat(defaults.isEnabled()).isFalse();
        assertThat(defaults.getMaximumSize().toBytes()).isEqualTo(ReplayCache.DEFAULT_MAXIMUM_BYTES);
        assertThat(defaults.getMaximumEntries()).isEqualTo(ReplayCache.DEFAULT_MAXIMUM_ENTRIES);
        assertThat(defaults.getMaximumEntrySize().toBytes()).isEqualTo(ReplayCache.DEFAULT_MAXIMUM_ENTRY_BYTES);
    }
}
