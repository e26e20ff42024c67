package dev.idempotency.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.EndpointSettings;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.store.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Each condition of {@link IdempotencyAutoConfiguration}, on an embedded H2 database. */
class IdempotencyAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
                    IdempotencyWebAutoConfiguration.class))
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
    void aWebApplicationWithADataSourceGetsTheStoreOnItTheFilterAndItsSettings() {
        web.run(context -> {
            assertThat(context).hasSingleBean(JdbcIdempotencyStore.class).hasSingleBean(IdempotencyConfig.class)
                    .hasSingleBean(ScopeResolver.class).hasSingleBean(EndpointSettings.class)
                    .hasBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION);
            FilterRegistrationBean<?> registration = context.getBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION,
                    FilterRegistrationBean.class);
            assertThat(registration.getFilter()).isInstanceOf(IdempotencyFilter.class);
            assertThat(registration.getOrder()).isEqualTo(IdempotencyAutoConfiguration.DEFAULT_FILTER_ORDER);
            assertThat(registration.getUrlPatterns()).containsExactly("/*");
            assertThat(context.getBean(IdempotencyConfig.class).keyTtl()).isEqualTo(IdempotencyConfig.DEFAULT_KEY_TTL);
        });
    }

    @Test
    void enabledFalseTurnsEverythingOff() {
        web.withPropertyValues("idempotency.enabled=false").run(context -> assertThat(context)
                .doesNotHaveBean(IdempotencyStore.class).doesNotHaveBean(IdempotencyConfig.class)
                .doesNotHaveBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION));
    }

    @Test
    void withoutADataSourceNothingIsStoredAndNoFilterIsRegistered() {
        new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
                IdempotencyWebAutoConfiguration.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(IdempotencyStore.class)
                        .doesNotHaveBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION));
    }

    @Test
    void anApplicationsOwnStoreIsUsedAndTheJdbcStoreBacksOff() {
        web.withBean("myStore", IdempotencyStore.class, InMemoryIdempotencyStore::create).run(context -> {
            assertThat(context).doesNotHaveBean(JdbcIdempotencyStore.class).hasSingleBean(IdempotencyStore.class)
                    .hasBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION);
        });
    }

    @Test
    void anApplicationsOwnSettingsAndScopeResolverAreUsed() {
        IdempotencyConfig mine = IdempotencyConfig.custom().keyTtl(Duration.ofMinutes(5)).build();
        ScopeResolver tenant = ScopeResolver.header("X-Tenant");
        web.withBean(IdempotencyConfig.class, () -> mine).withBean(ScopeResolver.class, () -> tenant)
                .run(context -> {
                    assertThat(context.getBean(IdempotencyConfig.class)).isSameAs(mine);
                    assertThat(context.getBean(ScopeResolver.class)).isSameAs(tenant);
                });
    }

    @Test
    void anApplicationsOwnFilterRegistrationReplacesTheStartersOne() {
        web.withBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class,
                FilterRegistrationBean::new).run(context -> assertThat(context
                        .getBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class)
                        .getFilter()).isNull());
    }

    @Test
    void outsideAWebApplicationTheStoreIsThereButNoFilter() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
                IdempotencyWebAutoConfiguration.class))
                .withUserConfiguration(H2DataSource.class).run(context -> assertThat(context)
                        .hasSingleBean(JdbcIdempotencyStore.class)
                        .doesNotHaveBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION));
    }

    @Test
    void propertiesReachTheSettingsUnderTheirNamesAndAsEnvironmentVariables() {
        web.withPropertyValues("idempotency.key-ttl=2h", "idempotency.lease-paths=/payments/*",
                "idempotency.lease-duration=20s", "idempotency.max-request-bytes=64KB", "idempotency.methods=POST,PUT",
                "idempotency.scope=header:X-Api-Key", "idempotency.filter-order=5")
                .run(context -> {
                    IdempotencyConfig config = context.getBean(IdempotencyConfig.class);
                    assertThat(config.keyTtl()).isEqualTo(Duration.ofHours(2));
                    assertThat(config.modeFor("/payments/7")).isEqualTo(ExecutionMode.LEASE);
                    assertThat(config.leaseDuration()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(config.maxRequestBytes()).isEqualTo(64 * 1024);
                    assertThat(config.methods()).containsExactly("POST", "PUT");
                    assertThat(context.getBean(ScopeResolver.class).description()).contains("X-Api-Key");
                    assertThat(context.getBean(IdempotencyAutoConfiguration.FILTER_REGISTRATION,
                            FilterRegistrationBean.class).getOrder()).isEqualTo(5);
                });
        web.withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
                new SystemEnvironmentPropertySource("systemEnvironment", Map.of("IDEMPOTENCY_KEY_TTL", "3h"))))
                .run(context -> assertThat(context.getBean(IdempotencyConfig.class).keyTtl())
                        .isEqualTo(Duration.ofHours(3)));
    }

    @Test
    void theOptimisticClaimIsSetByItsPropertyAndRefusedWithLeaseModeForEveryRequest() {
        web.withPropertyValues("idempotency.claim=optimistic").run(context -> assertThat(
                context.getBean(IdempotencyConfig.class).claim()).isEqualTo(dev.idempotency.ClaimStrategy.OPTIMISTIC));
        web.withPropertyValues("idempotency.claim=optimistic", "idempotency.mode=lease").run(context -> {
            IdempotencyConfigException e = findCause(context.getStartupFailure(), IdempotencyConfigException.class);
            assertThat(e.setting()).isEqualTo("idempotency.claim");
            assertThat(e.getMessage()).contains("idempotency.mode is lease");
        });
    }

    @Test
    void aValueOutOfRangeFailsStartUpNamingThePropertyAndTheValueAsWritten() {
        web.withPropertyValues("idempotency.key-ttl=500ms").run(context -> {
            assertThat(context).hasFailed();
            IdempotencyConfigException e = findCause(context.getStartupFailure(), IdempotencyConfigException.class);
            assertThat(e.setting()).isEqualTo("idempotency.key-ttl");
            assertThat(e.getMessage()).contains("'500ms'");
            FailureAnalysis analysis = new IdempotencyFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("idempotency.key-ttl").contains("'500ms'");
            assertThat(analysis.getAction()).contains("IDEMPOTENCY_KEY_TTL");
        });
    }

    @Test
    void aKeyTtlShorterThanTheLeaseFailsNamingBothProperties() {
        web.withPropertyValues("idempotency.key-ttl=10s", "idempotency.lease-paths=/payments").run(context -> {
            IdempotencyConfigException e = findCause(context.getStartupFailure(), IdempotencyConfigException.class);
            assertThat(e.getMessage()).contains("idempotency.key-ttl").contains("idempotency.lease-duration");
        });
    }

    @Test
    void aMisspeltPropertyFailsStartUp() {
        web.withPropertyValues("idempotency.key-tll=2h").run(context -> {
            assertThat(context).hasFailed();
            BindException e = findCause(context.getStartupFailure(), BindException.class);
            assertThat(e.getMessage()).contains("idempotency");
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("key-tll");
        });
    }

    @Test
    void theDefaultsWrittenForTheMetadataAreTheLibrarys() {
        IdempotencyConfigurationProperties properties = new IdempotencyConfigurationProperties();
        IdempotencyConfig defaults = IdempotencyConfig.ofDefaults();
        assertThat(properties.getKeyTtl()).isEqualTo(defaults.keyTtl());
        assertThat(properties.getMethods()).containsExactlyElementsOf(defaults.methods());
        assertThat(properties.isRequired()).isEqualTo(defaults.required());
        assertThat(properties.getConcurrent()).isEqualTo(defaults.concurrent());
        assertThat(properties.getWaitTimeout()).isEqualTo(defaults.waitTimeout());
        assertThat(properties.getRetryAfter()).isEqualTo(defaults.retryAfter());
        assertThat(properties.getMaxRequestBytes().toBytes()).isEqualTo(defaults.maxRequestBytes());
        assertThat(properties.getMaxResponseBytes().toBytes()).isEqualTo(defaults.maxResponseBytes());
        assertThat(properties.getStoredStatuses()).isEqualTo(dev.idempotency.StoredStatuses.DEFAULT_SPEC);
        assertThat(properties.getPurgeInterval()).isEqualTo(defaults.purgeInterval());
        assertThat(properties.getPurgeBatchSize()).isEqualTo(defaults.purgeBatchSize());
        assertThat(properties.getMode()).isEqualTo(defaults.mode());
        assertThat(properties.getLeaseDuration()).isEqualTo(defaults.leaseDuration());
        assertThat(properties.getClaim()).isEqualTo(defaults.claim());
        assertThat(properties.getFilterOrder()).isEqualTo(IdempotencyAutoConfiguration.DEFAULT_FILTER_ORDER);
        assertThat(properties.getInbox().getRetention()).isEqualTo(dev.idempotency.jdbc.inbox.JdbcInbox.DEFAULT_RETENTION);
        IdempotencyConfigurationProperties.Receiver receiver = properties.getWebhooks().getReceiver();
        assertThat(receiver.getTolerance()).isEqualTo(dev.idempotency.webhooks.WebhookVerifier.DEFAULT_TOLERANCE);
        assertThat(receiver.getMaxBodySize().toBytes())
                .isEqualTo(dev.idempotency.webhooks.WebhookReceiverFilter.DEFAULT_MAX_BODY_BYTES);
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + failure, failure);
    }

}
