package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.internal.DriverLocator;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.flywaydb.core.Flyway;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.simple.SimpleLogger;

/**
 * Which JDBC driver a store built from a URL uses, and where it finds it. The class-loader tests arrange
 * what a servlet container does: the library and the driver on a class loader of their own (a web
 * application's {@code WEB-INF/lib}), the thread's context class loader while the application starts, after
 * {@code DriverManager} registered the drivers of another (the container's). DriverManager never registers the
 * application's driver by itself, so a pool that asks it gets "No suitable driver".
 */
class DriverLoadingTest {

    private static final String H2_URL = "jdbc:h2:mem:driver-loading";

    @Test
    void findsTheDriverOfTheApplicationThatDriverManagerDidNotRegister() throws Exception {
        // The test's own class path put drivers in DriverManager first, as a container's does.
        java.sql.DriverManager.getDrivers();
        try (URLClassLoader application = webApplication(jarOf(org.h2.Driver.class))) {
            Object store = withContextClassLoader(application, () -> build(application, H2_URL));
            try {
                assertEquals("H2", store.getClass().getMethod("engine").invoke(store).toString());
                assertEquals(List.of("org.h2.Driver"), registeredDrivers(application), "loading it registered it");
            } finally {
                store.getClass().getMethod("close").invoke(store);
            }
            // Else the application's class loader stays reachable from DriverManager: a container reports a leak.
            assertEquals(List.of(), registeredDrivers(application), "closing the store deregisters it");
        }
    }

    /** The drivers of {@code application} that DriverManager holds, asked from a class of that application. */
    @SuppressWarnings("unchecked")
    private static List<String> registeredDrivers(ClassLoader application) throws Exception {
        Class<?> probe = Class.forName(RegisteredDrivers.class.getName(), true, application);
        return (List<String>) probe.getMethod("loadedBy", ClassLoader.class).invoke(null, application);
    }

    /** Asks DriverManager, which answers each caller with the drivers its class loader can load. */
    public static final class RegisteredDrivers {

        private RegisteredDrivers() {
        }

        /** The class names of the registered drivers that {@code loader} loaded. */
        public static List<String> loadedBy(ClassLoader loader) {
            return java.util.Collections.list(java.sql.DriverManager.getDrivers()).stream()
                    .filter(driver -> driver.getClass().getClassLoader() == loader)
                    .map(driver -> driver.getClass().getName()).toList();
        }
    }

    @Test
    void closingAStoreLeavesTheDriversItDidNotRegister() throws Exception {
        java.sql.DriverManager.getDrivers();
        JdbcIdempotencyStore.builder().jdbcUrl(H2_URL + "-closed").username("sa").password("").build().close();
        org.h2.jdbcx.JdbcDataSource given = new org.h2.jdbcx.JdbcDataSource();
        given.setURL(H2_URL + "-given");
        JdbcIdempotencyStore.create(given).close();

        try (Connection c = java.sql.DriverManager.getConnection(H2_URL + "-after", "sa", "")) {
            assertTrue(c.isValid(1), "DriverManager still has the class path's driver");
        }
    }

    @Test
    void urlThatNoDriverOnTheClassPathAcceptsNamesTheJarToAdd() throws Exception {
        try (URLClassLoader application = webApplication()) {
            Throwable e = assertThrows(InvocationTargetException.class,
                    () -> withContextClassLoader(application, () -> build(application,
                            "jdbc:postgresql://127.0.0.1:1/app?password=s3cret"))).getCause();

            assertEquals(StoreException.class.getName(), e.getClass().getName(), e.toString());
            assertTrue(e.getMessage().contains("No JDBC driver on the class path accepts "
                    + "jdbc:postgresql://127.0.0.1:1/app?password=***"), e.getMessage());
            assertTrue(e.getMessage().contains("org.postgresql:postgresql") && e.getMessage().contains("WEB-INF/lib"),
                    e.getMessage());
        }
    }

    @Test
    void urlOfADatabaseWithoutAnyDriverSaysSo() {
        StoreException e = assertThrows(StoreException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl("jdbc:nosuchdb://db/app").build());

        assertTrue(e.getMessage().contains("jdbc:nosuchdb://db/app")
                && e.getMessage().contains("the JDBC driver jar of this database"), e.getMessage());
    }

    @Test
    void urlOfAnUnsupportedEngineIsRefusedBeforeAnyPoolNamingTheSchemeAndTheEnginesSupported() {
        for (String[] refused : new String[][] {
                {"jdbc:sqlserver://db:1433;user=sa;password=s3cret;databaseName=app", "jdbc:sqlserver:",
                        "Microsoft SQL Server"},
                {"jdbc:oracle:thin:scott/s3cret@db:1521:orcl", "jdbc:oracle:", "Oracle Database"},
                {"jdbc:SQLite:/tmp/app.db?password=s3cret", "jdbc:SQLite:", "SQLite"}}) {
            Set<java.sql.Driver> before = DriverLocator.registeredDrivers();

            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                    () -> JdbcIdempotencyStore.builder().jdbcUrl(refused[0]), refused[0]);

            assertEquals("jdbcUrl", e.setting());
            assertEquals(refused[1], e.value(), "the scheme only: the rest of a URL may hold a user and a password");
            assertEquals("Invalid value '" + refused[1] + "' for jdbcUrl: expected the URL of a database the store "
                    + "supports, PostgreSQL (jdbc:postgresql:), MariaDB (jdbc:mariadb:), MySQL (jdbc:mysql:) and H2 "
                    + "(jdbc:h2:); " + refused[2] + " is not one of them", e.getMessage());
            assertFalse(e.getMessage().contains("s3cret") || e.getMessage().contains("scott"), e.getMessage());
            assertEquals(List.of(), DriverLocator.registeredSince(before), "refused before any driver is loaded");
        }
    }

    @Test
    void aMySqlUrlIsServedByMySqlConnectorJOfTheApplicationNotRefusedAsADriverHikariCpCannotGet() throws Exception {
        java.sql.DriverManager.getDrivers();
        try (URLClassLoader application = webApplication(jarOf(com.mysql.cj.jdbc.Driver.class))) {
            Throwable e = assertThrows(InvocationTargetException.class,
                    () -> withContextClassLoader(application, () -> build(application,
                            "jdbc:mysql://127.0.0.1:1/app?password=s3cret"))).getCause();

            // Nothing listens on port 1: the driver was found and tried to connect.
            assertEquals(StoreUnavailableException.class.getName(), e.getClass().getName(), e.toString());
            assertTrue(e.getMessage().startsWith("Cannot open a connection pool on "
                    + "jdbc:mysql://127.0.0.1:1/app?password=***: "), e.getMessage());
            assertFalse(e.getMessage().contains("Failed to get driver instance"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }
    }

    @Test
    void namedDriverClassIsUsed() throws Exception {
        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().jdbcUrl(H2_URL + "-named").driverClassName("org.h2.Driver")
                .username("sa").password("").build(); Connection c = store.transactionalDataSource().getConnection()) {
            assertEquals(DatabaseEngine.H2, store.engine());
            assertTrue(c.isValid(1));
        }
    }

    @Test
    void namedDriverClassThatCannotServeTheUrlIsRefusedNamingIt() {
        for (String[] refused : new String[][] {
                {"org.postgresql.Driver", "a driver that accepts the URL jdbc:h2:mem:"},
                {"com.example.NoSuchDriver", "the class of a JDBC driver on the application's class path (com.h2database:h2)"},
                {"java.lang.String", "a class implementing java.sql.Driver"}}) {
            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore
                    .builder().jdbcUrl(H2_URL).driverClassName(refused[0]).build(), refused[0]);

            assertEquals("driverClassName", e.setting());
            assertEquals(refused[0], e.value());
            assertTrue(e.getMessage().contains(refused[1]), e.getMessage());
        }
    }

    @Test
    void driverClassNameNeedsAUrl() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore
                .builder().dataSource(new org.h2.jdbcx.JdbcDataSource()).driverClassName("org.h2.Driver").build());

        assertEquals("driverClassName", e.setting());
        assertThrows(IdempotencyConfigException.class, () -> JdbcIdempotencyStore.builder().driverClassName(" "));
    }

    /** Builds a store from {@code url} through the classes of {@code application}. */
    private static Object build(ClassLoader application, String url) throws Exception {
        Class<?> storeClass = Class.forName(JdbcIdempotencyStore.class.getName(), true, application);
        Object builder = storeClass.getMethod("builder").invoke(null);
        Class<?> builderClass = builder.getClass();
        builderClass.getMethod("jdbcUrl", String.class).invoke(builder, url);
        builderClass.getMethod("username", String.class).invoke(builder, "sa");
        builderClass.getMethod("password", String.class).invoke(builder, "");
        builderClass.getMethod("maximumPoolSize", int.class).invoke(builder, 2);
        return builderClass.getMethod("build").invoke(builder);
    }

    /**
     * A class loader of its own, on the platform class loader, with this library and what it needs at run
     * time, SLF4J's simple logger and this module's test resources (for its settings), and {@code drivers}.
     */
    private static URLClassLoader webApplication(URL... drivers) {
        List<URL> urls = new ArrayList<>(List.of(drivers));
        for (Class<?> type : List.of(JdbcIdempotencyStore.class, IdempotencyConfig.class, JsonFactory.class,
                HikariDataSource.class, LoggerFactory.class, SimpleLogger.class, Flyway.class,
                PostgreSQLConfigurationExtension.class, DriverLoadingTest.class)) {
            urls.add(jarOf(type));
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static URL jarOf(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    private interface Action<T> {
        T run() throws Exception;
    }

    private static <T> T withContextClassLoader(ClassLoader loader, Action<T> action) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return action.run();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
