package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.servlet.EndpointSettings;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import dev.idempotency.spi.IdempotencyStore;
import jakarta.servlet.DispatcherType;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Registers the {@link IdempotencyFilter} in a servlet web application that has an {@link IdempotencyStore}
 * (the one {@link IdempotencyAutoConfiguration} makes on the application's DataSource, or the application's
 * own), with per-endpoint settings read from Spring MVC's handler methods.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBean(IdempotencyStore.class)
public class IdempotencyWebAutoConfiguration {

    /** The filter, registered for every request dispatch of the application. */
    @Bean(name = IdempotencyAutoConfiguration.FILTER_REGISTRATION)
    @ConditionalOnMissingBean(name = IdempotencyAutoConfiguration.FILTER_REGISTRATION)
    FilterRegistrationBean<IdempotencyFilter> idempotencyFilterRegistration(IdempotencyStore store,
            IdempotencyConfig config, ScopeResolver scopeResolver, ObjectProvider<EndpointSettings> endpoints,
            IdempotencyConfigurationProperties properties, ObjectProvider<IdempotencyListener> listeners) {
        EndpointSettings settings = endpoints.getIfAvailable(EndpointSettings::defaults);
        String receiverPath = properties.getWebhooks().getReceiver().getPath();
        if (receiverPath != null) {
            // Webhook deliveries are deduplicated by the receiver, in the inbox, and carry no Idempotency-Key.
            settings = ServletPathPattern.parse(IdempotencyMessagingAutoConfiguration.RECEIVER_PATH, receiverPath)
                    .excludedFrom(settings);
        }
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(config).scopeResolver(scopeResolver)
                .listener(IdempotencyAutoConfiguration.listener(listeners))
                .endpointSettings(settings).build();
        FilterRegistrationBean<IdempotencyFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setName("idempotencyFilter");
        registration.addUrlPatterns("/*");
        registration.setDispatcherTypes(DispatcherType.REQUEST);
        registration.setOrder(properties.getFilterOrder());
        return registration;
    }

    /** Settings per endpoint, where Spring MVC maps the requests. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RequestMappingHandlerMapping.class)
    static class SpringMvcEndpoints {

        /** Settings per handler method ({@code @Idempotent}) and per path ({@code idempotency.endpoints.*}). */
        @Bean
        @ConditionalOnMissingBean(EndpointSettings.class)
        EndpointSettings idempotencyEndpointSettings(ObjectProvider<RequestMappingHandlerMapping> mappings,
                IdempotencyConfigurationProperties properties, Environment environment) {
            return new HandlerEndpointSettings(mappings.orderedStream().toList(),
                    SettingsFactory.of(properties, environment), properties.getEndpoints());
        }
    }
}
