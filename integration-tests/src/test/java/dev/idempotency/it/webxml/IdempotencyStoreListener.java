package dev.idempotency.it.webxml;

import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

/** Creates the store for a {@code web.xml} application, before the container starts the filter. */
// tag::listener[]
public class IdempotencyStoreListener implements ServletContextListener {

    /** Where the application's servlets find the DataSource that joins idempotent requests. */
    public static final String HANDLER_DATA_SOURCE = "orders.dataSource";

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        JdbcIdempotencyStore store = JdbcIdempotencyStore.builder()
                .jdbcUrl(context.getInitParameter("orders.jdbc-url"))
                .username(context.getInitParameter("orders.jdbc-user"))
                .password(context.getInitParameter("orders.jdbc-password"))
                .build();
        context.setAttribute(IdempotencyFilter.STORE_ATTRIBUTE, store);
        context.setAttribute(HANDLER_DATA_SOURCE, store.transactionalDataSource());
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        ((JdbcIdempotencyStore) event.getServletContext().getAttribute(IdempotencyFilter.STORE_ATTRIBUTE)).close();
    }
}
// end::listener[]
