package dev.idempotency.servlet;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.IdempotencyProperties;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.Redaction;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Opens the JDBC idempotency store when the web application starts and closes it when the application
 * stops, so that an application declared in {@code web.xml} needs no Java of its own to use
 * {@link IdempotencyFilter}: declare this listener and the filter, and name the database.
 *
 * <pre>{@code
 * <context-param>
 *   <param-name>idempotency.jdbc.url</param-name>
 *   <param-value>jdbc:postgresql://db:5432/orders</param-value>
 * </context-param>
 * <listener>
 *   <listener-class>dev.idempotency.servlet.IdempotencyStoreListener</listener-class>
 * </listener>
 * }</pre>
 *
 * <p>The database is given in one of two ways:
 * <ul>
 * <li>{@value #URL_PROPERTY}: a JDBC URL, with {@value #USER_PROPERTY}, {@value #PASSWORD_PROPERTY},
 * {@value #DRIVER_CLASS_NAME_PROPERTY} (found from the URL if not given) and {@value #MAXIMUM_POOL_SIZE_PROPERTY}
 * (default {@value JdbcIdempotencyStore#DEFAULT_MAXIMUM_POOL_SIZE}). The store builds its own pool and closes
 * it when the application stops. The driver goes in {@code WEB-INF/lib}, with this library.</li>
 * <li>{@value #JNDI_NAME_PROPERTY}: the JNDI name of a DataSource the container manages, such as
 * {@code jdbc/orders} (looked up under {@code java:comp/env/} unless the name has a {@code java:} scheme).
 * The container configures, opens and closes it, with its driver on the container's own class path.</li>
 * </ul>
 * The settings are read as the filter reads its own: from {@value IdempotencyProperties#FILE} on the class
 * path, then the context parameters ({@code <context-param>}), then system properties, each overriding the
 * one before. The filter knows these names, so it does not refuse them as typos when they are system
 * properties.
 *
 * <p>Once the store is open, the listener sets two servlet context attributes:
 * {@link IdempotencyFilter#STORE_ATTRIBUTE}, where the filter finds the store, and
 * {@value #DATA_SOURCE_ATTRIBUTE}, the store's {@link TransactionJoiningDataSource} for the application's own
 * writes, which then commit with the stored outcome of the request.
 *
 * <p>A setting that is missing, unknown ({@code idempotency.jdbc.*} names only) or wrong, or a database that
 * cannot be reached, fails the application's start with an exception naming the setting, where it was given
 * and its value, never showing a password (a URL is {@linkplain Redaction redacted}). When the application
 * stops, the listener closes the store it opened, and with it the pool the store built, and nothing else;
 * after a failed start it has nothing to close.
 *
 * <p>It needs {@code idempotency-jdbc}, an optional dependency of this module, on the class path: an
 * application with a JDBC store has it already.
 */
public class IdempotencyStoreListener implements ServletContextListener {

    /** The prefix of this listener's settings. */
    public static final String PROPERTY_PREFIX = "idempotency.jdbc.";

    /** The JNDI name of a container-managed DataSource, such as {@code jdbc/orders}. */
    public static final String JNDI_NAME_PROPERTY = "idempotency.jdbc.jndi-name";

    /** The JDBC URL of the database, for a pool the store builds. */
    public static final String URL_PROPERTY = "idempotency.jdbc.url";

    /** The user for {@value #URL_PROPERTY}. */
    public static final String USER_PROPERTY = "idempotency.jdbc.user";

    /** The password for {@value #URL_PROPERTY}; never shown in a message. */
    public static final String PASSWORD_PROPERTY = "idempotency.jdbc.password";

    /** The JDBC driver class for {@value #URL_PROPERTY}, if it is to be named rather than found. */
    public static final String DRIVER_CLASS_NAME_PROPERTY = "idempotency.jdbc.driver-class-name";

    /** The size of the pool built for {@value #URL_PROPERTY}, 1 to 1000. */
    public static final String MAXIMUM_POOL_SIZE_PROPERTY = "idempotency.jdbc.maximum-pool-size";

    /** Every setting this listener reads. */
    public static final List<String> PROPERTY_NAMES = List.of(JNDI_NAME_PROPERTY, URL_PROPERTY, USER_PROPERTY,
            PASSWORD_PROPERTY, DRIVER_CLASS_NAME_PROPERTY, MAXIMUM_POOL_SIZE_PROPERTY);

    /**
     * The servlet context attribute holding the store's {@link TransactionJoiningDataSource}: the DataSource for
     * the application's own writes.
     */
    public static final String DATA_SOURCE_ATTRIBUTE = "dev.idempotency.dataSource";

    /** The settings that only a JDBC URL uses, which a JNDI DataSource has from the container. */
    private static final List<String> URL_ONLY = List.of(USER_PROPERTY, PASSWORD_PROPERTY, DRIVER_CLASS_NAME_PROPERTY,
            MAXIMUM_POOL_SIZE_PROPERTY);

    /** The builder's name for each setting, to name the setting as the user gave it when the builder refuses. */
    private static final Map<String, String> BUILDER_SETTINGS = Map.of("jndiDataSource", JNDI_NAME_PROPERTY,
            "jdbcUrl", URL_PROPERTY, "driverClassName", DRIVER_CLASS_NAME_PROPERTY,
            "maximumPoolSize", MAXIMUM_POOL_SIZE_PROPERTY);

    private JdbcIdempotencyStore store;

    /** Creates the listener; the container does, for a {@code <listener>} in {@code web.xml}. */
    public IdempotencyStoreListener() {
    }

    /**
     * Opens the store and sets the context attributes.
     *
     * @throws IdempotencyConfigException for a missing, unknown or invalid setting, naming it
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the store cannot be opened for another reason (no driver, an unsupported
     *     database, a failed migration)
     */
    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        JdbcIdempotencyStore opened = open(new Settings(context));
        synchronized (this) {
            store = opened;
        }
        context.setAttribute(IdempotencyFilter.STORE_ATTRIBUTE, opened);
        context.setAttribute(DATA_SOURCE_ATTRIBUTE, opened.transactionalDataSource());
    }

    /** Closes the store this listener opened, if it opened one; a container's DataSource stays open. */
    @Override
    public void contextDestroyed(ServletContextEvent event) {
        JdbcIdempotencyStore opened;
        synchronized (this) {
            opened = store;
            store = null;
        }
        if (opened == null) {
            // The start failed (containers still tell every listener the context is destroyed): nothing to close.
            return;
        }
        ServletContext context = event.getServletContext();
        if (context.getAttribute(IdempotencyFilter.STORE_ATTRIBUTE) == opened) {
            context.removeAttribute(IdempotencyFilter.STORE_ATTRIBUTE);
        }
        if (context.getAttribute(DATA_SOURCE_ATTRIBUTE) == opened.transactionalDataSource()) {
            context.removeAttribute(DATA_SOURCE_ATTRIBUTE);
        }
        opened.close();
    }

    private static JdbcIdempotencyStore open(Settings settings) {
        String jndiName = settings.get(JNDI_NAME_PROPERTY);
        String url = settings.get(URL_PROPERTY);
        if (jndiName == null && url == null) {
            throw IdempotencyConfigException.missing("context-param " + URL_PROPERTY + " or " + JNDI_NAME_PROPERTY,
                    "IdempotencyStoreListener needs the database of the idempotency store: a JDBC URL (with the "
                            + "driver in WEB-INF/lib), or the JNDI name of a DataSource the container defines, such as "
                            + "jdbc/orders");
        }
        if (jndiName != null && url != null) {
            throw IdempotencyConfigException.inconsistent(settings.origin(JNDI_NAME_PROPERTY), jndiName,
                    "give either it or " + URL_PROPERTY + " (" + settings.origin(URL_PROPERTY) + "), not both");
        }
        JdbcIdempotencyStore.Builder builder = JdbcIdempotencyStore.builder();
        if (jndiName != null) {
            for (String name : URL_ONLY) {
                if (settings.get(name) != null) {
                    throw IdempotencyConfigException.inconsistent(settings.origin(name), settings.shown(name),
                            "it belongs to " + URL_PROPERTY + "; the container configures the DataSource named by "
                                    + JNDI_NAME_PROPERTY);
                }
            }
            settings.apply(JNDI_NAME_PROPERTY, () -> builder.jndiDataSource(jndiName));
        } else {
            settings.apply(URL_PROPERTY, () -> builder.jdbcUrl(url));
            builder.username(settings.get(USER_PROPERTY)).password(settings.get(PASSWORD_PROPERTY));
            String driver = settings.get(DRIVER_CLASS_NAME_PROPERTY);
            if (driver != null) {
                settings.apply(DRIVER_CLASS_NAME_PROPERTY, () -> builder.driverClassName(driver));
            }
            String poolSize = settings.get(MAXIMUM_POOL_SIZE_PROPERTY);
            if (poolSize != null) {
                settings.apply(MAXIMUM_POOL_SIZE_PROPERTY, () -> builder.maximumPoolSize(parsePoolSize(poolSize)));
            }
        }
        try {
            return builder.build();
        } catch (IdempotencyConfigException e) {
            String name = BUILDER_SETTINGS.get(e.setting());
            throw name == null ? e : e.renamed(settings.origin(name), settings.shown(name));
        } catch (StoreException e) {
            String database = jndiName != null ? JNDI_NAME_PROPERTY : URL_PROPERTY;
            String message = "IdempotencyStoreListener cannot open the idempotency store on the database of "
                    + settings.origin(database) + " = " + settings.shown(database) + ": " + e.getMessage();
            throw e instanceof StoreUnavailableException ? new StoreUnavailableException(message, e)
                    : new StoreException(message, e);
        }
    }

    private static int parsePoolSize(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw IdempotencyConfigException.invalid("maximumPoolSize", text, "a number from 1 to 1000");
        }
    }

    /** The {@code idempotency.jdbc.*} settings of one application, and where each came from. */
    private static final class Settings {

        private final ServletContext context;
        private final Map<String, String> values = new LinkedHashMap<>();

        Settings(ServletContext context) {
            this.context = context;
            Map<String, String> parameters = new LinkedHashMap<>();
            for (String name : Collections.list(context.getInitParameterNames())) {
                parameters.put(name, context.getInitParameter(name));
            }
            ClassLoader loader = context.getClassLoader() != null ? context.getClassLoader()
                    : IdempotencyStoreListener.class.getClassLoader();
            IdempotencyProperties.load(loader, parameters).forEach((name, value) -> {
                if (name.startsWith(PROPERTY_PREFIX)) {
                    values.put(name, value);
                }
            });
            for (String name : values.keySet()) {
                if (!PROPERTY_NAMES.contains(name)) {
                    // Not its value: an unknown name may be a misspelt password.
                    throw IdempotencyConfigException.unknownProperty(name, Redaction.MASK, PROPERTY_NAMES);
                }
            }
        }

        String get(String name) {
            return values.get(name);
        }

        /** Where the value in effect was given, in the words of its source. */
        String origin(String name) {
            if (System.getProperty(name) != null) {
                return "system property " + name;
            }
            if (context.getInitParameter(name) != null) {
                return "context-param " + name;
            }
            return name + " in " + IdempotencyProperties.FILE;
        }

        /** The value as a message may show it: never a password, a URL redacted. */
        String shown(String name) {
            String value = values.get(name);
            if (value == null || name.equals(PASSWORD_PROPERTY)) {
                return value == null ? null : Redaction.MASK;
            }
            Set<String> secrets = new LinkedHashSet<>(Redaction.secretsIn(values.get(URL_PROPERTY)));
            String password = values.get(PASSWORD_PROPERTY);
            if (password != null && !password.isEmpty()) {
                secrets.add(password);
            }
            return Redaction.redact(value, secrets);
        }

        /** Runs {@code setter}, naming the setting as the user gave it if the builder refuses its value. */
        void apply(String name, Runnable setter) {
            try {
                setter.run();
            } catch (IdempotencyConfigException e) {
                throw e.renamed(origin(name), shown(name));
            }
        }
    }
}
