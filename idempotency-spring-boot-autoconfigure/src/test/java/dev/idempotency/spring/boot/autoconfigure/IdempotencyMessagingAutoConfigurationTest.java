package dev.idempotency.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.InboxResult;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import dev.idempotency.webhooks.WebhookSecret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

/** Each condition of {@link IdempotencyMessagingAutoConfiguration}, on an embedded H2 database. */
class IdempotencyMessagingAutoConfigurationTest {

    private static final String SECRET = WebhookSecret.generate().encoded();

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
                    IdempotencyWebAutoConfiguration.class, IdempotencyMessagingAutoConfiguration.class))
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
    static class SpringTransactions {
        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new JdbcTransactionManager(dataSource);
        }

        @Bean
        JdbcTemplate jdbcTemplate(DataSource dataSource) {
            return new JdbcTemplate(dataSource);
        }
    }

    @Test
    void theInboxAndTheOutboxAreOnTheApplicationsDataSourceAndNothingElseRunsUnasked() {
        web.run(context -> {
            assertThat(context).hasSingleBean(JdbcInbox.class).hasSingleBean(JdbcOutbox.class)
                    .doesNotHaveBean(IdempotencyMessagingAutoConfiguration.OutboxRelayLifecycle.class)
                    .doesNotHaveBean("idempotencyWebhookReceiverRegistration");
            assertThat(context.getBean(JdbcInbox.class).retention()).isEqualTo(JdbcInbox.DEFAULT_RETENTION);
        });
    }

    @Test
    void eachCanBeSwitchedOffAndEnabledFalseSwitchesOffAll() {
        web.withPropertyValues("idempotency.inbox.enabled=false").run(context -> assertThat(context)
                .doesNotHaveBean(JdbcInbox.class).hasSingleBean(JdbcOutbox.class));
        web.withPropertyValues("idempotency.outbox.enabled=false").run(context -> assertThat(context)
                .hasSingleBean(JdbcInbox.class).doesNotHaveBean(JdbcOutbox.class));
        web.withPropertyValues("idempotency.enabled=false").run(context -> assertThat(context)
                .doesNotHaveBean(JdbcInbox.class).doesNotHaveBean(JdbcOutbox.class));
    }

    @Test
    void anApplicationsOwnInboxAndOutboxAreUsed() {
        web.withBean("myInbox", JdbcInbox.class, () -> JdbcInbox.builder()
                .dataSource(new H2DataSource().dataSource()).retention(Duration.ofDays(30)).build())
                .run(context -> assertThat(context.getBean(JdbcInbox.class).retention())
                        .isEqualTo(Duration.ofDays(30)));
    }

    @Test
    void theInboxRetentionIsAPropertyAndABadOneFailsStartUpNamingIt() {
        web.withPropertyValues("idempotency.inbox.retention=14d").run(context -> assertThat(context
                .getBean(JdbcInbox.class).retention()).isEqualTo(Duration.ofDays(14)));
        web.withPropertyValues("idempotency.inbox.retention=0s").run(context -> {
            IdempotencyConfigException e = findCause(context.getStartupFailure(), IdempotencyConfigException.class);
            assertThat(e.setting()).isEqualTo("idempotency.inbox.retention");
        });
    }

    @Test
    void theInboxWorkJoinsSpringsTransactionAndCommitsWithTheMarkerOrNotAtAll() {
        web.withUserConfiguration(SpringTransactions.class).run(context -> {
            JdbcInbox inbox = context.getBean(JdbcInbox.class);
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            jdbc.execute("CREATE TABLE effects (message_id VARCHAR(64) PRIMARY KEY)");

            try {
                inbox.process("billing", "m-1", () -> {
                    jdbc.update("INSERT INTO effects VALUES ('m-1')");
                    throw new IllegalStateException("the consumer failed after its write");
                });
            } catch (IllegalStateException expected) {
                assertThat(expected).hasMessageContaining("after its write");
            }
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM effects", Integer.class))
                    .as("the write made through JdbcTemplate rolled back with the marker").isZero();

            InboxResult<Integer> applied = inbox.process("billing", "m-1",
                    () -> jdbc.update("INSERT INTO effects VALUES ('m-1')"));
            InboxResult<Integer> again = inbox.process("billing", "m-1",
                    () -> jdbc.update("INSERT INTO effects VALUES ('m-1')"));
            assertThat(applied).isEqualTo(new InboxResult.Applied<>(1));
            assertThat(again).isEqualTo(new InboxResult.Duplicate<>());
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM effects", Integer.class)).isEqualTo(1);
        });
    }

    @Test
    void withAPublisherTheRelayRunsWhileTheContextRunsAndStopsWithIt() {
        LinkedBlockingQueue<String> published = new LinkedBlockingQueue<>();
        OutboxPublisher publisher = (message, attempt) -> {
            published.add(new String(message.payload(), StandardCharsets.UTF_8));
            return PublishResult.delivered();
        };
        IdempotencyMessagingAutoConfiguration.OutboxRelayLifecycle[] relay = {null};
        web.withBean(OutboxPublisher.class, () -> publisher).run(context -> {
            relay[0] = context.getBean(IdempotencyMessagingAutoConfiguration.OutboxRelayLifecycle.class);
            assertThat(relay[0].isRunning()).isTrue();
            JdbcOutbox outbox = context.getBean(JdbcOutbox.class);
            outbox.inTransaction(() -> {
                outbox.enqueue(OutboxMessage.of("orders", "o-1", "order placed".getBytes(StandardCharsets.UTF_8),
                        List.of()));
                return null;
            });
            assertThat(published.poll(30, TimeUnit.SECONDS)).isEqualTo("order placed");
        });
        assertThat(relay[0].isRunning()).isFalse();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(thread -> thread.isAlive()
                && thread.getName().startsWith("idempotency-outbox-relay"));
    }

    @Test
    void aReceiverPathMapsTheWebhookReceiverThereAndTheIdempotencyFilterLeavesThePathAlone() {
        web.withPropertyValues("idempotency.webhooks.receiver.path=/webhooks/*",
                "idempotency.webhooks.receiver.consumer=payments",
                "idempotency.webhooks.receiver.secrets=" + SECRET).run(context -> {
                    FilterRegistrationBean<?> registration = context.getBean("idempotencyWebhookReceiverRegistration",
                            FilterRegistrationBean.class);
                    assertThat(registration.getFilter()).isInstanceOf(WebhookReceiverFilter.class);
                    assertThat(((WebhookReceiverFilter) registration.getFilter()).consumer()).isEqualTo("payments");
                    assertThat(registration.getUrlPatterns()).containsExactly("/webhooks/*");
                });
    }

    @Test
    void aReceiverWithoutSecretsFailsStartUpNamingTheProperty() {
        web.withPropertyValues("idempotency.webhooks.receiver.path=/webhooks").run(context -> {
            IdempotencyConfigException e = findCause(context.getStartupFailure(), IdempotencyConfigException.class);
            assertThat(e.setting()).isEqualTo("idempotency.webhooks.receiver.secrets");
        });
    }

    @Test
    void aBadSecretFailsStartUpNamingThePropertyAndNeverShowingTheSecret() {
        // A real secret's first 20 base64 characters: 15 bytes, too short to be accepted.
        String almost = SECRET.substring(0, "whsec_".length() + 20);
        web.withPropertyValues("idempotency.webhooks.receiver.path=/webhooks",
                "idempotency.webhooks.receiver.secrets=" + SECRET + "," + almost).run(context -> {
                    IdempotencyConfigException e = findCause(context.getStartupFailure(),
                            IdempotencyConfigException.class);
                    assertThat(e.setting()).isEqualTo("idempotency.webhooks.receiver.secrets[1]");
                    FailureAnalysis analysis = new IdempotencyFailureAnalyzer().analyze(context.getStartupFailure());
                    String shown = analysis.getDescription() + analysis.getAction() + e;
                    assertThat(shown).contains("idempotency.webhooks.receiver.secrets[1]")
                            .doesNotContain(SECRET.substring(6, 26)).doesNotContain(almost.substring(6));
                });
    }

    @Test
    void aReceiverPathThatIsNotAServletPatternFailsStartUpNamingIt() {
        web.withPropertyValues("idempotency.webhooks.receiver.path=/webhooks/**",
                "idempotency.webhooks.receiver.secrets=" + SECRET).run(context -> {
                    IdempotencyConfigException e = findCause(context.getStartupFailure(),
                            IdempotencyConfigException.class);
                    assertThat(e.setting()).isEqualTo(IdempotencyMessagingAutoConfiguration.RECEIVER_PATH);
                    assertThat(e.getMessage()).contains("'/webhooks/**'");
                });
    }

    @Test
    void aReceiverWithTheInboxSwitchedOffFailsStartUpSayingWhy() {
        web.withPropertyValues("idempotency.webhooks.receiver.path=/webhooks", "idempotency.inbox.enabled=false",
                "idempotency.webhooks.receiver.secrets=" + SECRET).run(context -> {
                    IdempotencyConfigException e = findCause(context.getStartupFailure(),
                            IdempotencyConfigException.class);
                    assertThat(e.setting()).isEqualTo(IdempotencyMessagingAutoConfiguration.RECEIVER_PATH);
                    assertThat(e.getMessage()).contains("idempotency.inbox.enabled=false");
                });
    }

    @Test
    void outsideAWebApplicationTheInboxAndOutboxAreThereButNoReceiver() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
                IdempotencyMessagingAutoConfiguration.class))
                .withUserConfiguration(H2DataSource.class)
                .withPropertyValues("idempotency.webhooks.receiver.path=/webhooks",
                        "idempotency.webhooks.receiver.secrets=" + SECRET)
                .run(context -> assertThat(context).hasSingleBean(JdbcInbox.class).hasSingleBean(JdbcOutbox.class)
                        .doesNotHaveBean("idempotencyWebhookReceiverRegistration"));
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        assertThat(failure).as("start-up failed").isNotNull();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + failure, failure);
    }
}
