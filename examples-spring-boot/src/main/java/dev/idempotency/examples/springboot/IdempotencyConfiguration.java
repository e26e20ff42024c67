package dev.idempotency.examples.springboot;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyProperties;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import jakarta.servlet.DispatcherType;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * The whole integration, as three ordinary beans (the library has no Spring module): the store, the
 * DataSource the application's JDBC code uses, and the filter's registration.
 *
 * <p>Idempotent handlers must not be annotated with {@code @Transactional}: the filter's transaction is
 * theirs. Inside an idempotent request {@link #dataSource} hands out the request's own connection, whose
 * {@code commit()} is refused with an {@link java.sql.SQLException} by design (a handler that committed on
 * its own would make its effect durable without the stored outcome, and a retry would repeat it). Spring's
 * transaction manager commits at the end of a {@code @Transactional} method, so such a handler fails with a
 * {@code TransactionSystemException} and its writes roll back. Plain {@code JdbcTemplate} calls need no
 * annotation: each one takes a connection from the DataSource and closes it, which joins the request's
 * transaction. Outside idempotent requests (GETs, start-up code) the DataSource is the store's pool and
 * {@code @Transactional} works as usual.
 */
// tag::registration[]
@Configuration(proxyBeanMethods = false)
public class IdempotencyConfiguration {

    /** The store on its own HikariCP pool; it creates its table now and closes the pool on shutdown. */
    @Bean(destroyMethod = "close")
    JdbcIdempotencyStore idempotencyStore(@Value("${app.datasource.url}") String url,
            @Value("${app.datasource.username}") String username,
            @Value("${app.datasource.password}") String password) {
        return JdbcIdempotencyStore.builder().jdbcUrl(url).username(username).password(password).build();
    }

    /**
     * The application's only DataSource: JdbcTemplate, JdbcClient and schema.sql use it, and Boot's own pool
     * backs off. Inside an idempotent request it hands out the request's connection, so the handler's writes
     * commit with the stored response or not at all. Do not annotate idempotent handlers with @Transactional:
     * the filter's transaction is theirs, and a commit by Spring's transaction manager is refused.
     */
    @Bean
    TransactionJoiningDataSource dataSource(JdbcIdempotencyStore store) {
        return store.transactionalDataSource();
    }

    /** The filter, with settings from every idempotency.* property Spring knows (application.properties...). */
    @Bean
    FilterRegistrationBean<IdempotencyFilter> idempotencyFilter(JdbcIdempotencyStore store,
            ConfigurableEnvironment environment) {
        IdempotencyConfig config = IdempotencyProperties.parse(idempotencyProperties(environment));
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(config)
                .scopeResolver(ScopeResolver.header("X-Api-Key")).build();
        FilterRegistrationBean<IdempotencyFilter> registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/*");
        registration.setDispatcherTypes(DispatcherType.REQUEST);
        // After Boot's CharacterEncodingFilter. A scope taken from Spring Security's principal needs an order
        // after Security's chain (-100) instead; a form body consumed by a filter before this one is then
        // fingerprinted by its parsed parameters.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 100);
        return registration;
    }

    /**
     * The idempotency.* properties under the library's names. Names are collected as written, so a misspelt
     * one in application.properties fails start-up instead of being ignored; each known name is then also
     * looked up through Spring, which finds environment variables such as IDEMPOTENCY_KEY_TTL.
     */
    static Map<String, String> idempotencyProperties(ConfigurableEnvironment environment) {
        Map<String, String> properties = new TreeMap<>();
        environment.getPropertySources().stream()
                .filter(source -> source instanceof EnumerablePropertySource<?>)
                .flatMap(source -> Arrays.stream(((EnumerablePropertySource<?>) source).getPropertyNames()))
                .filter(name -> name.startsWith(IdempotencyProperties.PREFIX))
                .forEach(name -> properties.put(name, environment.getProperty(name)));
        for (String name : IdempotencyProperties.NAMES) {
            String value = environment.getProperty(name);
            if (value != null) {
                properties.put(name, value);
            }
        }
        return properties;
    }
}
// end::registration[]
