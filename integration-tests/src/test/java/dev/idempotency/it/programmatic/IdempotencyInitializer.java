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

/** Registers the filter with {@code ServletContext.addFilter}, as an application without web.xml would. */
public class IdempotencyInitializer implements ServletContextListener {

    private final DataSource pool;

    public IdempotencyInitializer(DataSource pool) {
        this.pool = pool;
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext servletContext = event.getServletContext();
        // tag::programmatic[]
        JdbcIdempotencyStore store = JdbcIdempotencyStore.create(pool);        // creates its table
        servletContext.setAttribute("orders.dataSource", store.transactionalDataSource());

        IdempotencyFilter filter = IdempotencyFilter.builder(store)
                .config(IdempotencyConfig.custom().keyTtl(Duration.ofHours(12)).build())
                .scopeResolver(ScopeResolver.header("X-Api-Key"))
                .build();
        servletContext.addFilter("idempotency", filter)
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        // end::programmatic[]
    }
}
