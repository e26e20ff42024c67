package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import dev.idempotency.webhooks.WebhookSecret;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The inbox, the transactional outbox with its relay, and the signed-webhook receiver, on the application's
 * DataSource; each can be switched off.
 *
 * <ul>
 * <li>{@link JdbcInbox} ({@code idempotency.inbox.enabled}): each delivery's transaction is Spring's when the
 * application has one transaction manager, so what the work writes through {@code JdbcTemplate}, a
 * {@code @Transactional} service or JPA commits with the inbox's marker, or not at all.</li>
 * <li>{@link JdbcOutbox} ({@code idempotency.outbox.enabled}): {@code enqueue(message)} inside an idempotent
 * request or an inbox delivery joins its transaction; elsewhere, in a Spring transaction, enqueue on that
 * transaction's connection: {@code outbox.enqueue(DataSourceUtils.getConnection(dataSource), message)}.</li>
 * <li>{@link OutboxRelay}: when the application defines an {@link OutboxPublisher} bean (a
 * {@code WebhookPublisher}, say), started with the application context and stopped, with its threads, before
 * the DataSource closes; an {@link OutboxRelayConfig} bean replaces the relay's defaults.</li>
 * <li>{@link WebhookReceiverFilter}, when {@code idempotency.webhooks.receiver.path} is set: verifies each
 * delivery with {@code idempotency.webhooks.receiver.secrets} and applies it once through the inbox under
 * {@code idempotency.webhooks.receiver.consumer}. The idempotency filter leaves that path alone.</li>
 * </ul>
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.jdbc.datasource.DataSourceUtils", value = JdbcInbox.class)
@ConditionalOnProperty(prefix = "idempotency", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnSingleCandidate(DataSource.class)
public class IdempotencyMessagingAutoConfiguration {

    /** The property that maps the webhook receiver. */
    static final String RECEIVER_PATH = "idempotency.webhooks.receiver.path";

    /** The inbox; its deliveries run in Spring's transactions when the application has one transaction manager. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "idempotency.inbox", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class Inbox {

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        @DependsOnDatabaseInitialization
        JdbcInbox idempotencyInbox(DataSource dataSource, ObjectProvider<PlatformTransactionManager> transactionManagers,
                IdempotencyConfigurationProperties properties, ObjectProvider<IdempotencyListener> listeners) {
            JdbcInbox.Builder inbox = JdbcInbox.builder().dataSource(dataSource)
                    .listener(IdempotencyAutoConfiguration.listener(listeners));
            Duration retention = properties.getInbox().getRetention();
            try {
                inbox.retention(retention);
            } catch (IdempotencyConfigException e) {
                throw e.renamed("idempotency.inbox.retention", retention);
            }
            PlatformTransactionManager transactionManager = transactionManagers.getIfUnique();
            if (transactionManager != null) {
                inbox.transactions(SpringManagedClaimTransactions.forInbox(transactionManager, dataSource));
            }
            return inbox.build();
        }
    }

    /** The outbox, and its relay when the application says where messages go. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "idempotency.outbox", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class Outbox {

        @Bean
        @ConditionalOnMissingBean
        @DependsOnDatabaseInitialization
        JdbcOutbox idempotencyOutbox(DataSource dataSource, ObjectProvider<IdempotencyListener> listeners) {
            return JdbcOutbox.builder().dataSource(dataSource).listener(IdempotencyAutoConfiguration.listener(listeners))
                    .build();
        }

        @Bean
        @ConditionalOnBean(OutboxPublisher.class)
        @ConditionalOnMissingBean
        OutboxRelayLifecycle idempotencyOutboxRelay(JdbcOutbox outbox, OutboxPublisher publisher,
                ObjectProvider<OutboxRelayConfig> config) {
            return new OutboxRelayLifecycle(outbox.relay(publisher, config.getIfAvailable(OutboxRelayConfig::ofDefaults)));
        }
    }

    /**
     * The outbox's relay, following the application context: started when the context starts, closed (its
     * threads ended, an attempt in flight finished) when the context stops, which is before the DataSource
     * closes.
     */
    public static final class OutboxRelayLifecycle implements SmartLifecycle {

        private final OutboxRelay relay;
        private volatile boolean running;

        OutboxRelayLifecycle(OutboxRelay relay) {
            this.relay = relay;
        }

        /** The relay, for {@link OutboxRelay#runOnce()} and its settings. */
        public OutboxRelay relay() {
            return relay;
        }

        @Override
        public void start() {
            relay.start();
            running = true;
        }

        @Override
        public void stop() {
            running = false;
            relay.close();
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public String toString() {
            return "OutboxRelayLifecycle[" + relay + (running ? ", running" : "") + "]";
        }
    }

    /** The signed-webhook receiver, mapped by {@value #RECEIVER_PATH}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(WebhookReceiverFilter.class)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnProperty(prefix = "idempotency.webhooks.receiver", name = "path")
    static class WebhookReceiver {

        @Bean
        @ConditionalOnMissingBean(name = "idempotencyWebhookReceiverRegistration")
        FilterRegistrationBean<WebhookReceiverFilter> idempotencyWebhookReceiverRegistration(
                ObjectProvider<JdbcInbox> inboxes, IdempotencyConfigurationProperties properties,
                ObjectProvider<IdempotencyListener> listeners) {
            IdempotencyConfigurationProperties.Receiver receiver = properties.getWebhooks().getReceiver();
            ServletPathPattern path = ServletPathPattern.parse(RECEIVER_PATH, receiver.getPath());
            JdbcInbox inbox = inboxes.getIfAvailable();
            if (inbox == null) {
                throw IdempotencyConfigException.inconsistent(RECEIVER_PATH, receiver.getPath(), "the webhook "
                        + "receiver applies each delivery once through the inbox, and there is none "
                        + "(idempotency.inbox.enabled=false, and no JdbcInbox bean); enable the inbox or remove "
                        + RECEIVER_PATH);
            }
            WebhookReceiverFilter.Builder filter;
            try {
                filter = WebhookReceiverFilter.builder(inbox, receiver.getConsumer());
            } catch (IdempotencyConfigException e) {
                throw e.renamed("idempotency.webhooks.receiver.consumer", receiver.getConsumer());
            }
            filter.secrets(secrets(receiver.getSecrets()));
            filter.listener(IdempotencyAutoConfiguration.listener(listeners));
            try {
                filter.tolerance(receiver.getTolerance());
            } catch (IdempotencyConfigException e) {
                throw e.renamed("idempotency.webhooks.receiver.tolerance", receiver.getTolerance());
            }
            long maxBodyBytes = receiver.getMaxBodySize().toBytes();
            if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE) {
                throw IdempotencyConfigException.invalid("idempotency.webhooks.receiver.max-body-size",
                        receiver.getMaxBodySize(), "a size from 1B to 2047MB");
            }
            filter.maxBodyBytes((int) maxBodyBytes);
            FilterRegistrationBean<WebhookReceiverFilter> registration = new FilterRegistrationBean<>(filter.build());
            registration.setName("idempotencyWebhookReceiver");
            registration.addUrlPatterns(path.pattern());
            registration.setDispatcherTypes(DispatcherType.REQUEST);
            registration.setOrder(properties.getFilterOrder());
            return registration;
        }

        private static List<WebhookSecret> secrets(List<String> texts) {
            String property = "idempotency.webhooks.receiver.secrets";
            if (texts.isEmpty()) {
                throw IdempotencyConfigException.missing(property, "the receiver verifies every delivery's "
                        + "signature with the sender's secret (" + WebhookSecret.PREFIX + " followed by base64); "
                        + "during a rotation list the new one first, then the old one");
            }
            List<WebhookSecret> secrets = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                secrets.add(WebhookSecret.parse(property + "[" + i + "]", texts.get(i)));
            }
            return secrets;
        }
    }
}
