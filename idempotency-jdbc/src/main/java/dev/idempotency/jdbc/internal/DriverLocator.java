package dev.idempotency.jdbc.internal;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.Redaction;
import dev.idempotency.spi.StoreException;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Finds the JDBC driver for a URL, for a pool this library builds, by the class name HikariCP is then given;
 * and tells which drivers loading it registered with {@code DriverManager}, for the store to deregister when
 * it closes.
 *
 * <p>HikariCP left to itself asks {@link DriverManager}, which in a servlet container only knows the drivers
 * of the container's own class path: DriverManager registers service-loaded drivers once, from the class
 * loader current when it was first used, which is the container's, so a driver in a web application's
 * {@code WEB-INF/lib} is "No suitable driver". This looks through the application's class loader instead:
 * the thread's context class loader (the web application's, while it starts), then this library's.
 */
public final class DriverLocator {

    /** The Maven coordinates of the driver each supported URL prefix needs, for the error message. */
    private static final Map<String, String> DRIVER_JARS = Map.of(
            "jdbc:postgresql:", "org.postgresql:postgresql",
            "jdbc:h2:", "com.h2database:h2",
            "jdbc:mariadb:", "org.mariadb.jdbc:mariadb-java-client",
            "jdbc:mysql:", "com.mysql:mysql-connector-j (or org.mariadb.jdbc:mariadb-java-client with a "
                    + "jdbc:mariadb: URL)");

    private DriverLocator() {
    }

    /**
     * The class name of a driver that accepts {@code jdbcUrl}.
     *
     * @param driverClassName the driver to use, if the application named one; checked, not searched for
     * @throws IdempotencyConfigException if {@code driverClassName} cannot be loaded, is not a driver, or
     *     does not accept the URL
     * @throws StoreException if no driver on the class path accepts the URL, naming the jar to add
     */
    public static String driverClassFor(String jdbcUrl, String driverClassName) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        return driverClassName != null ? checked(jdbcUrl, driverClassName) : found(jdbcUrl);
    }

    private static String found(String jdbcUrl) {
        for (ClassLoader loader : classLoaders()) {
            Iterator<Driver> drivers = ServiceLoader.load(Driver.class, loader).iterator();
            while (true) {
                Driver driver;
                try {
                    if (!drivers.hasNext()) {
                        break;
                    }
                    driver = drivers.next();
                } catch (ServiceConfigurationError e) {
                    // A driver that cannot be loaded (a missing dependency of its own) is not the one we need.
                    continue;
                }
                if (accepts(driver, jdbcUrl)) {
                    return driver.getClass().getName();
                }
            }
        }
        try {
            // A driver the application registered by hand, without a service entry.
            return DriverManager.getDriver(jdbcUrl).getClass().getName();
        } catch (SQLException e) {
            throw new StoreException("No JDBC driver on the class path accepts " + Redaction.redact(jdbcUrl) + ": add "
                    + driverJar(jdbcUrl) + " to the application (in a web application, to WEB-INF/lib), or name "
                    + "the driver class with driverClassName");
        }
    }

    private static String checked(String jdbcUrl, String driverClassName) {
        Class<?> type = null;
        for (ClassLoader loader : classLoaders()) {
            try {
                type = Class.forName(driverClassName, true, loader);
                break;
            } catch (ClassNotFoundException | LinkageError e) {
                // Try the next class loader.
            }
        }
        if (type == null) {
            throw IdempotencyConfigException.invalid("driverClassName", driverClassName,
                    "the class of a JDBC driver on the application's class path (" + driverJar(jdbcUrl) + ")");
        }
        if (!Driver.class.isAssignableFrom(type)) {
            throw IdempotencyConfigException.invalid("driverClassName", driverClassName,
                    "a class implementing java.sql.Driver");
        }
        Driver driver;
        try {
            driver = (Driver) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw IdempotencyConfigException.invalid("driverClassName", driverClassName,
                    "a JDBC driver class with a public no-argument constructor (" + e + ")");
        }
        if (!accepts(driver, jdbcUrl)) {
            throw IdempotencyConfigException.invalid("driverClassName", driverClassName,
                    "a driver that accepts the URL " + Redaction.redact(jdbcUrl) + " (" + driverJar(jdbcUrl) + ")");
        }
        return driverClassName;
    }

    /** The drivers registered with {@code DriverManager} that this library can see, by identity. */
    public static Set<Driver> registeredDrivers() {
        Set<Driver> drivers = Collections.newSetFromMap(new IdentityHashMap<>());
        drivers.addAll(Collections.list(DriverManager.getDrivers()));
        return drivers;
    }

    /** The drivers registered now that were not in {@code before}. */
    public static List<Driver> registeredSince(Set<Driver> before) {
        return registeredDrivers().stream().filter(driver -> !before.contains(driver)).toList();
    }

    /** Deregisters {@code drivers} from {@code DriverManager}, leaving any it refuses to deregister. */
    public static void deregister(List<Driver> drivers) {
        for (Driver driver : drivers) {
            try {
                DriverManager.deregisterDriver(driver);
            } catch (SQLException | SecurityException e) {
                // Registered from a class loader this library cannot see: its owner deregisters it.
            }
        }
    }

    private static boolean accepts(Driver driver, String jdbcUrl) {
        try {
            return driver.acceptsURL(jdbcUrl);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    private static Set<ClassLoader> classLoaders() {
        Set<ClassLoader> loaders = new LinkedHashSet<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            loaders.add(context);
        }
        loaders.add(DriverLocator.class.getClassLoader());
        return loaders;
    }

    private static String driverJar(String jdbcUrl) {
        return DRIVER_JARS.entrySet().stream().filter(e -> jdbcUrl.startsWith(e.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse("the JDBC driver jar of this database");
    }
}
