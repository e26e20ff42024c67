package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.EndpointSettings;
import dev.idempotency.servlet.ScopeResolver;
import dev.idempotency.spi.IdempotencyStore;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Makes every {@code POST} and {@code PATCH} of a Spring Boot web application idempotent: a
 * {@link JdbcIdempotencyStore} on the application's own {@link DataSource}, the {@link IdempotencyFilter} in the
 * servlet filter chain just after Spring Security's, its settings from the {@code idempotency.*} properties, and
 * per-endpoint settings from {@link dev.idempotency.spring.Idempotent} and {@code idempotency.endpoints.*}.
 *
 * <p>This class configures the settings and the store; {@link IdempotencyWebAutoConfiguration} registers the
 * filter. Every bean backs off when the application defines its own ({@link IdempotencyConfig},
 * {@link IdempotencyStore}, {@link ScopeResolver}, {@link EndpointSettings}, or a filter registration named
 * {@value #FILTER_REGISTRATION}), and {@code idempotency.enabled=false} turns all of it off. The store is created
 * after the application's own database initialisation (its Flyway migrations, its schema.sql), so the library's
 * tables, which keep their own Flyway history, never stand in the way of the application's first migration.
 *
 * <p>Runs on Spring Boot 3.5 and 4.0: the auto-configurations it comes after moved packages between the two and
 * are named by both their names.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
    "org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
    "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
    "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
    "org.springframework.boot.autoconfigure.transaction.TransactionAutoConfiguration",
    "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
    "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
    "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"})
@ConditionalOnClass(value = {dev.idempotency.servlet.IdempotencyFilter.class, JdbcIdempotencyStore.class},
        name = "org.springframework.jdbc.datasource.DataSourceUtils")
@ConditionalOnProperty(prefix = "idempotency", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyConfigurationProperties.class)
public class IdempotencyAutoConfiguration {

    /**
     * The filter's default order: just after Spring Security's filter chain ({@code -100}, Spring Boot's
     * {@code SecurityProperties.DEFAULT_FILTER_ORDER}), so the default scope, the principal, is known.
     */
    public static final int DEFAULT_FILTER_ORDER = -90;

    /** The name of the filter's registration bean; define a bean of that name to register it yourself. */
    public static final String FILTER_REGISTRATION = "idempotencyFilterRegistration";

    /** The settings, from the {@code idempotency.*} properties, read by the library's own parser. */
    @Bean
    @ConditionalOnMissingBean
    IdempotencyConfig idempotencyConfig(IdempotencyConfigurationProperties properties, Environment environment) {
        return SettingsFactory.of(properties, environment).global();
    }

    /**
     * The store, on the application's DataSource: it creates or upgrades its table (with its own Flyway history
     * table) after the application's own database initialisation, and closes what it started with the context.
     * With the application's transaction manager, each idempotent request runs in a Spring transaction that the
     * code behind the endpoint joins; without one, in a transaction of the store's own, which the handlers join
     * through {@link JdbcIdempotencyStore#transactionalDataSource()}.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(IdempotencyStore.class)
    @ConditionalOnSingleCandidate(DataSource.class)
    @DependsOnDatabaseInitialization
    JdbcIdempotencyStore idempotencyStore(DataSource dataSource,
            ObjectProvider<PlatformTransactionManager> transactionManagers, ObjectProvider<IdempotencyListener> listeners) {
        JdbcIdempotencyStore.Builder store = JdbcIdempotencyStore.builder().dataSource(dataSource)
                .listener(listener(listeners));
        PlatformTransactionManager transactionManager = transactionManagers.getIfUnique();
        if (transactionManager != null) {
            store.claimTransactions(SpringManagedClaimTransactions.forRequests(transactionManager, dataSource));
        }
        return store.build();
    }

    /**
     * Every {@link IdempotencyListener} bean of the application, in order, as one (the Micrometer metrics when
     * there is a {@code MeterRegistry}, the observations when there is an {@code ObservationRegistry}, and the
     * application's own), or none: every component the starter builds reports to it.
     */
    static IdempotencyListener listener(ObjectProvider<IdempotencyListener> listeners) {
        return IdempotencyListener.of(listeners.orderedStream().toList());
    }

    /** Who the client is: {@code idempotency.scope}, the authenticated principal by default. */
    @Bean
    @ConditionalOnMissingBean
    ScopeResolver idempotencyScopeResolver(IdempotencyConfigurationProperties properties) {
        return ScopeResolver.fromSpec("idempotency.scope", properties.getScope());
    }
}
