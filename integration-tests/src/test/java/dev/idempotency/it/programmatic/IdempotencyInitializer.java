package dev.idempotency.it.programmatic;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.time.Duration;
import java.util.EnumSet;
import javax.sql.DataSource;

/**
 * Registers the filter with {@code ServletContext.addFilter}, as an application without web.xml would, and
 * closes the store it opened when the application stops.
 */
public class IdempotencyInitializer implements ServletContextListener {

    private final DataSource pool;
    private JdbcIdempotencyStore store;

    public IdempotencyInitializer(DataSource pool) {
        this.pool = pool;
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext servletContext = event.getServletContext();
        // tag::programmatic[]
        store = JdbcIdempotencyStore.create(pool);       // creates its table; purges it until closed
        servletContext.setAttribute("orders.dataSource", store.transactionalDataSource());

        IdempotencyFilter filter = IdempotencyFilter.builder(store)
                .config(IdempotencyConfig.custom().keyTtl(Duration.ofHours(12)).build())
                .scopeResolver(ScopeResolver.header("X-Api-Key"))
                .build();
        servletContext.addFilter("idempotency", filter)
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        // end::programmatic[]
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        // tag::programmatic-close[]
        store.close();                                   // ends its purge thread; the pool stays open
        // end::programmatic-close[]
    }
}
