package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.caffeine.ReplayCache;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * With {@code idempotency.replay-cache.enabled=true}, puts a {@link ReplayCache} (module
 * {@code idempotency-caffeine}) in front of the starter's {@link JdbcIdempotencyStore}: the filter then answers
 * replays from memory. The cache is the primary {@code IdempotencyStore} bean, so the filter takes it; the JDBC
 * store stays a bean of its own (its transactional DataSource, the health indicator and the metrics use it).
 * Without the module on the class path the property fails start-up, saying what to add.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class, before = IdempotencyWebAutoConfiguration.class)
@ConditionalOnProperty(prefix = "idempotency.replay-cache", name = "enabled", havingValue = "true")
public class IdempotencyReplayCacheAutoConfiguration {

    static final String PROPERTY = "idempotency.replay-cache.enabled";

    /** The cache, when the module is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "dev.idempotency.caffeine.ReplayCache")
    @ConditionalOnBean(JdbcIdempotencyStore.class)
    static class Cache {

        /** Not closed with the context: it would close the JDBC store, which closes itself as a bean. */
        @Bean(destroyMethod = "")
        @Primary
        ReplayCache idempotencyReplayCache(JdbcIdempotencyStore store, IdempotencyConfigurationProperties properties) {
            IdempotencyConfigurationProperties.ReplayCache settings = properties.getReplayCache();
            try {
                return ReplayCache.builder(store).maximumBytes(settings.getMaximumSize().toBytes())
                        .maximumEntries(settings.getMaximumEntries())
                        .maximumEntryBytes(Math.toIntExact(Math.min(Integer.MAX_VALUE,
                                settings.getMaximumEntrySize().toBytes())))
                        .build();
            } catch (IdempotencyConfigException e) {
                throw e.renamed(propertyOf(e.setting()), e.value());
            }
        }

        private static String propertyOf(String setting) {
            return switch (setting) {
                case "ReplayCache.maximumBytes" -> "idempotency.replay-cache.maximum-size";
                case "ReplayCache.maximumEntries" -> "idempotency.replay-cache.maximum-entries";
                case "ReplayCache.maximumEntryBytes" -> "idempotency.replay-cache.maximum-entry-size";
                default -> setting;
            };
        }
    }

    /** The property without the module: a start-up failure that says what is missing. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("dev.idempotency.caffeine.ReplayCache")
    static class Missing {

        @Bean
        Object idempotencyReplayCacheModuleMissing() {
            throw IdempotencyConfigException.inconsistent(PROPERTY, "true", "the replay cache needs the module "
                    + "dev.idempotency:idempotency-caffeine on the class path; add it, or remove the property");
        }
    }
}
