package dev.idempotency.it.webxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.IdempotencyStoreListener;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.testing.H2DatabaseExtension;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link IdempotencyStoreListener} on its own: what it opens from which settings, what it refuses and how it
 * names it, and that it closes what it opened and nothing else. A real container runs it in
 * {@link WebXmlRegistrationTest} (Jetty) and {@code TomcatWarDeploymentTest}.
 */
class IdempotencyStoreListenerTest {

    private static final String SECRET = "S3cr3t-pa55";

    @RegisterExtension
    final H2DatabaseExtension db = H2DatabaseExtension.create();

    @Test
    void opensTheStoreFromAUrlSetsBothAttributesAndClosesTheStoreWhenTheApplicationStops() throws Exception {
        FakeContext context = new FakeContext().param(IdempotencyStoreListener.URL_PROPERTY, db.jdbcUrl())
                .param(IdempotencyStoreListener.USER_PROPERTY, db.user())
                .param(IdempotencyStoreListener.PASSWORD_PROPERTY, db.password())
                .param(IdempotencyStoreListener.MAXIMUM_POOL_SIZE_PROPERTY, "3");
        IdempotencyStoreListener listener = new IdempotencyStoreListener();

        listener.contextInitialized(context.event());

        JdbcIdempotencyStore store = assertInstanceOf(JdbcIdempotencyStore.class,
                context.attributes.get(IdempotencyFilter.STORE_ATTRIBUTE));
        assertEquals(DatabaseEngine.H2, store.engine());
        assertSame(store.transactionalDataSource(), context.attributes.get(IdempotencyStoreListener.DATA_SOURCE_ATTRIBUTE));

        listener.contextDestroyed(context.event());

        assertEquals(Map.of(), context.attributes, "both attributes are removed");
        assertThrows(SQLException.class, () -> store.transactionalDataSource().getConnection(), "the store's pool is closed");
        listener.contextDestroyed(context.event());
    }

    @Test
    void contextDestroyedAfterAFailedStartHasNothingToClose() {
        FakeContext context = new FakeContext();
        IdempotencyStoreListener listener = new IdempotencyStoreListener();
        assertThrows(IdempotencyConfigException.class, () -> listener.contextInitialized(context.event()));

        // Containers still tell every listener that the context is destroyed.
        listener.contextDestroyed(context.event());

        assertEquals(Map.of(), context.attributes);
    }

    @Test
    void withoutADatabaseTheStartFailsNamingBothWaysToGiveOne() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyStoreListener().contextInitialized(new FakeContext().event()));

        assertTrue(e.getMessage().contains("context-param idempotency.jdbc.url or idempotency.jdbc.jndi-name"),
                e.getMessage());
    }

    @Test
    void urlAndJndiNameTogetherAreRefused() {
        FakeContext context = new FakeContext().param(IdempotencyStoreListener.URL_PROPERTY, db.jdbcUrl())
                .param(IdempotencyStoreListener.JNDI_NAME_PROPERTY, "jdbc/orders");

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyStoreListener().contextInitialized(context.event()));

        assertEquals("context-param idempotency.jdbc.jndi-name", e.setting());
        assertTrue(e.getMessage().contains("not both"), e.getMessage());
    }

    @Test
    void settingOfAUrlWithAJndiNameIsRefusedWithoutShowingAPassword() {
        FakeContext context = new FakeContext().param(IdempotencyStoreListener.JNDI_NAME_PROPERTY, "jdbc/orders")
                .param(IdempotencyStoreListener.PASSWORD_PROPERTY, SECRET);

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyStoreListener().contextInitialized(context.event()));

        assertEquals("Invalid value '***' for context-param idempotency.jdbc.password: it belongs to "
                + "idempotency.jdbc.url; the container configures the DataSource named by idempotency.jdbc.jndi-name",
                e.getMessage());
    }

    @Test
    void jndiNameThatCannotBeLookedUpNamesTheContextParam() {
        // No naming service outside a container: the lookup fails as for a name that is not bound.
        FakeContext context = new FakeContext().param(IdempotencyStoreListener.JNDI_NAME_PROPERTY, "jdbc/orders");

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyStoreListener().contextInitialized(context.event()));

        assertEquals("context-param idempotency.jdbc.jndi-name", e.setting());
        assertEquals("jdbc/orders", e.value());
        assertTrue(e.getMessage().contains("the lookup failed"), e.getMessage());
    }

    @Test
    void invalidValuesNameTheContextParamAndTheValue() {
        Map<String, String[]> refused = new LinkedHashMap<>();
        refused.put(IdempotencyStoreListener.MAXIMUM_POOL_SIZE_PROPERTY, new String[] {"many", "a number from 1 to 1000"});
        refused.put(IdempotencyStoreListener.DRIVER_CLASS_NAME_PROPERTY,
                new String[] {"org.postgresql.Driver", "a driver that accepts the URL"});
        for (Map.Entry<String, String[]> setting : refused.entrySet()) {
            FakeContext context = new FakeContext().param(IdempotencyStoreListener.URL_PROPERTY, db.jdbcUrl())
                    .param(setting.getKey(), setting.getValue()[0]);

            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                    () -> new IdempotencyStoreListener().contextInitialized(context.event()), setting.getKey());

            assertTrue(e.getMessage().startsWith("Invalid value '" + setting.getValue()[0] + "' for context-param "
                    + setting.getKey() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(setting.getValue()[1]), e.getMessage());
        }
        IdempotencyConfigException url = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyStoreListener().contextInitialized(new FakeContext()
                        .param(IdempotencyStoreListener.URL_PROPERTY, "postgresql://app:" + SECRET + "@db/app").event()));
        assertEquals("Invalid value 'postgresql://app:***@db/app' for context-param idempotency.jdbc.url: expected a "
                + "JDBC URL such as jdbc:postgresql://localhost:5432/app or jdbc:h2:file:./data/app", url.getMessage());
    }

    @Test
    void misspeltSettingIsRefusedWithoutShowingItsValue() {
        FakeContext context = new FakeContext().param(IdempotencyStoreListener.URL_PROPERTY, db.jdbcUrl())
                .param("idempotency.jdbc.pasword", SECRET);

        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyStoreListener().contextInitialized(context.event()));

        assertTrue(e.getMessage().contains("idempotency.jdbc.pasword") && e.getMessage().contains("idempotency.jdbc.password"),
                e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }

    @Test
    void unreachableDatabaseFailsNamingTheContextParamWithoutThePassword() {
        FakeContext context = new FakeContext()
                .param(IdempotencyStoreListener.URL_PROPERTY, "jdbc:postgresql://127.0.0.1:1/x?password=" + SECRET
                        + "&connectTimeout=2")
                .param(IdempotencyStoreListener.USER_PROPERTY, "postgres")
                .param(IdempotencyStoreListener.PASSWORD_PROPERTY, SECRET + "-too");
        IdempotencyStoreListener listener = new IdempotencyStoreListener();

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> listener.contextInitialized(context.event()));
        listener.contextDestroyed(context.event());

        assertTrue(e.getMessage().startsWith("IdempotencyStoreListener cannot open the idempotency store on the "
                + "database of context-param idempotency.jdbc.url = jdbc:postgresql://127.0.0.1:1/x?password=***"
                + "&connectTimeout=2: "), e.getMessage());
        StringWriter printed = new StringWriter();
        e.printStackTrace(new PrintWriter(printed));
        assertFalse(printed.toString().contains(SECRET), printed.toString());
    }

    @Test
    void systemPropertyOverridesTheContextParamAndIsNamedAsSuch() {
        FakeContext context = new FakeContext().param(IdempotencyStoreListener.URL_PROPERTY, db.jdbcUrl())
                .param(IdempotencyStoreListener.USER_PROPERTY, db.user());
        System.setProperty(IdempotencyStoreListener.MAXIMUM_POOL_SIZE_PROPERTY, "0");
        try {
            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                    () -> new IdempotencyStoreListener().contextInitialized(context.event()));

            assertEquals("system property idempotency.jdbc.maximum-pool-size", e.setting());
        } finally {
            System.clearProperty(IdempotencyStoreListener.MAXIMUM_POOL_SIZE_PROPERTY);
        }
        assertNull(context.attributes.get(IdempotencyFilter.STORE_ATTRIBUTE));
    }

    /** The part of a servlet context the listener uses: context parameters and attributes. */
    private static final class FakeContext {

        final Map<String, String> parameters = new LinkedHashMap<>();
        final Map<String, Object> attributes = new ConcurrentHashMap<>();

        FakeContext param(String name, String value) {
            parameters.put(name, value);
            return this;
        }

        ServletContextEvent event() {
            ServletContext context = (ServletContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServletContext.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "getInitParameter" -> parameters.get((String) args[0]);
                        case "getInitParameterNames" -> Collections.enumeration(parameters.keySet());
                        case "getAttribute" -> attributes.get((String) args[0]);
                        case "setAttribute" -> attributes.put((String) args[0], args[1]);
                        case "removeAttribute" -> attributes.remove((String) args[0]);
                        case "getClassLoader" -> IdempotencyStoreListenerTest.class.getClassLoader();
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            return new ServletContextEvent(context);
        }
    }
}
