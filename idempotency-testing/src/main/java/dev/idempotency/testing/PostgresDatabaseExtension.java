package dev.idempotency.testing;

import java.lang.reflect.InvocationTargetException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/**
 * A fresh PostgreSQL schema for a test class or a single test, with a connection pool whose connections
 * use it as their current schema.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();
 * }</pre>
 *
 * <p>Registered in a static field, the extension creates its schema before all tests of the class and
 * drops it after them; registered in an instance field, it does so around each test. The schema is named
 * {@code it_} followed by random lower-case hex digits and is dropped with {@code CASCADE}, together with
 * every pool the extension opened.
 *
 * <p>The server is found once per JVM, in this order:
 * <ol>
 *   <li>the environment variable {@value #ENV_JDBC_URL}, with the optional {@value #ENV_JDBC_USER} and
 *       {@value #ENV_JDBC_PASSWORD} (a {@code user} or {@code password} parameter in the URL itself takes
 *       precedence over them, as it does in the driver);</li>
 *   <li>otherwise a {@value #CONTAINER_IMAGE} container started by Testcontainers, if Testcontainers is on
 *       the class path and a Docker engine answers; one container serves the whole JVM;</li>
 *   <li>otherwise the extension fails with {@link ExtensionConfigurationException} saying how to provide
 *       a server. It never skips: a test that cannot reach its database has not passed.</li>
 * </ol>
 *
 * <p>{@link #jdbcUrl()} is the server's URL with {@code currentSchema} set to {@link #schema()}; the user and
 * password are those of the URL or the environment, or the container's ({@code null} when none is given).
 *
 * <p>Needs the PostgreSQL JDBC driver ({@code org.postgresql:postgresql}) on the test class path, and
 * Testcontainers ({@code org.testcontainers:testcontainers-postgresql}) only for the container fallback.
 */
public final class PostgresDatabaseExtension extends DatabaseExtension<PostgresDatabaseExtension.Schema> {

    /** The environment variable holding the JDBC URL of the server to test against. */
    public static final String ENV_JDBC_URL = "IDEMPOTENCY_TEST_JDBC_URL";

    /** The environment variable holding the user, when the URL does not name one. */
    public static final String ENV_JDBC_USER = "IDEMPOTENCY_TEST_JDBC_USER";

    /** The environment variable holding the password, when the URL does not carry one. */
    public static final String ENV_JDBC_PASSWORD = "IDEMPOTENCY_TEST_JDBC_PASSWORD";

    /** The image Testcontainers runs when no URL is given. */
    public static final String CONTAINER_IMAGE = "postgres:15-alpine";

    /** The size of the pool behind {@link #dataSource()} unless {@link #withMaxPoolSize} says otherwise. */
    public static final int DEFAULT_MAX_POOL_SIZE = 20;

    static final String NO_POSTGRES_MESSAGE = "No PostgreSQL for tests: set " + ENV_JDBC_URL
            + " (for example jdbc:postgresql://127.0.0.1:5432/test?user=postgres) or start a Docker engine so"
            + " Testcontainers can run one.";

    static final String NO_TESTCONTAINERS_MESSAGE = "No PostgreSQL for tests: set " + ENV_JDBC_URL
            + " (for example jdbc:postgresql://127.0.0.1:5432/test?user=postgres), or add"
            + " org.testcontainers:testcontainers-postgresql to the test class path and start a Docker engine"
            + " so Testcontainers can run one.";

    private static final String DRIVER_CLASS = "org.postgresql.Driver";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static Server sharedServer;

    private final Supplier<Server> serverSource;

    PostgresDatabaseExtension(int maxPoolSize, Supplier<Server> serverSource) {
        super(maxPoolSize, "schema");
        this.serverSource = Objects.requireNonNull(serverSource, "serverSource");
    }

    /**
     * An extension with a pool of {@value #DEFAULT_MAX_POOL_SIZE} connections, on the server found as the
     * class description says.
     */
    public static PostgresDatabaseExtension create() {
        return new PostgresDatabaseExtension(DEFAULT_MAX_POOL_SIZE, PostgresDatabaseExtension::sharedServer);
    }

    /**
     * A copy of this extension whose {@link #dataSource()} pool holds at most {@code maxPoolSize}
     * connections.
     *
     * @throws IllegalArgumentException if {@code maxPoolSize} is less than 1
     */
    public PostgresDatabaseExtension withMaxPoolSize(int maxPoolSize) {
        return new PostgresDatabaseExtension(maxPoolSize, serverSource);
    }

    /**
     * Starts a schema outside JUnit's life cycle, for a harness that makes databases on demand; the caller
     * must {@link #close()} it. Not for an extension registered with {@code @RegisterExtension}.
     *
     * @return this, running
     * @throws IllegalStateException if it is running already
     */
    public synchronized PostgresDatabaseExtension open() {
        startOutsideJUnit();
        return this;
    }

    /**
     * The schema this extension created, such as {@code it_3f9c0a1b2c3d4e5f}.
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    public String schema() {
        return database().name();
    }

    @Override
    Schema createDatabase() {
        requireDriver();
        Server server = serverSource.get();
        String schema = "it_" + randomHex();
        execute(server, "create schema " + schema);
        return new Schema(server, schema, withCurrentSchema(server.jdbcUrl(), schema));
    }

    /** A schema this extension created, and the URL whose connections use it as their current schema. */
    record Schema(Server server, String name, String jdbcUrl) implements DatabaseExtension.Database {

        @Override
        public String user() {
            return server.user();
        }

        @Override
        public String password() {
            return server.password();
        }

        /** Drops the schema with everything in it. */
        @Override
        public void discard() {
            execute(server, "drop schema if exists " + name + " cascade");
        }
    }

    private static void requireDriver() {
        try {
            Class.forName(DRIVER_CLASS, false, PostgresDatabaseExtension.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExtensionConfigurationException("PostgresDatabaseExtension needs the PostgreSQL JDBC driver:"
                    + " add org.postgresql:postgresql to the test class path.", e);
        }
    }

    private static void execute(Server server, String sql) {
        Properties properties = new Properties();
        if (server.user() != null) {
            properties.setProperty("user", server.user());
        }
        if (server.password() != null) {
            properties.setProperty("password", server.password());
        }
        try (Connection connection = DriverManager.getConnection(server.jdbcUrl(), properties);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new ExtensionConfigurationException("Could not run \"" + sql + "\" on " + server.describe()
                    + ": " + e.getMessage(), e);
        }
    }

    private static String randomHex() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static synchronized Server sharedServer() {
        // Failures are not cached: each test reports the same instructions rather than a stale exception.
        if (sharedServer == null) {
            sharedServer = locate(System.getenv(), TESTCONTAINERS);
        }
        return sharedServer;
    }

    /**
     * Finds the server from {@code environment}, falling back to {@code containers}; the containers are
     * consulted only when the environment names no URL.
     */
    static Server locate(Map<String, String> environment, ContainerRuntime containers) {
        String url = blankToNull(environment.get(ENV_JDBC_URL));
        if (url != null) {
            if (!url.startsWith("jdbc:postgresql:")) {
                throw new ExtensionConfigurationException(ENV_JDBC_URL + " must be a PostgreSQL JDBC URL starting"
                        + " with jdbc:postgresql:, not " + maskPassword(url));
            }
            String user = queryParameter(url, "user");
            String password = queryParameter(url, "password");
            return new Server(url, user != null ? user : blankToNull(environment.get(ENV_JDBC_USER)),
                    password != null ? password : environment.get(ENV_JDBC_PASSWORD), ENV_JDBC_URL);
        }
        if (!containers.isPresent()) {
            throw new ExtensionConfigurationException(NO_TESTCONTAINERS_MESSAGE);
        }
        if (!containers.isDockerAvailable()) {
            throw new ExtensionConfigurationException(NO_POSTGRES_MESSAGE);
        }
        return containers.start();
    }

    /** {@code url} with {@code currentSchema=schema} as its last parameter, replacing any it had. */
    static String withCurrentSchema(String url, String schema) {
        int query = url.indexOf('?');
        String base = query < 0 ? url : url.substring(0, query);
        List<String> parameters = new ArrayList<>();
        if (query >= 0) {
            for (String parameter : url.substring(query + 1).split("&")) {
                if (!parameter.isEmpty() && !parameterName(parameter).equals("currentSchema")) {
                    parameters.add(parameter);
                }
            }
        }
        parameters.add("currentSchema=" + schema);
        return base + "?" + String.join("&", parameters);
    }

    /** The decoded value of parameter {@code name} in the URL's query, or {@code null}. */
    static String queryParameter(String url, String name) {
        int query = url.indexOf('?');
        if (query < 0) {
            return null;
        }
        for (String parameter : url.substring(query + 1).split("&")) {
            if (parameterName(parameter).equals(name)) {
                int equals = parameter.indexOf('=');
                return equals < 0 ? "" : URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static String parameterName(String parameter) {
        int equals = parameter.indexOf('=');
        return equals < 0 ? parameter : parameter.substring(0, equals);
    }

    private static String maskPassword(String url) {
        return url.replaceAll("([?&]password=)[^&]*", "$1***");
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /**
     * A PostgreSQL server to create schemas on.
     *
     * @param origin where it came from, for messages
     */
    record Server(String jdbcUrl, String user, String password, String origin) {

        Server {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            Objects.requireNonNull(origin, "origin");
        }

        String describe() {
            return maskPassword(jdbcUrl) + " (from " + origin + ")";
        }

        @Override
        public String toString() {
            return "Server[" + describe() + ", user=" + user + "]";
        }
    }

    /** Where a server comes from when no URL is configured. */
    interface ContainerRuntime {

        /** Whether the Testcontainers PostgreSQL module is on the class path. */
        boolean isPresent();

        /** Whether a Docker engine answers; only asked when {@link #isPresent()}. */
        boolean isDockerAvailable();

        /** Starts (once) and returns the server; only asked when Docker is available. */
        Server start();
    }

    private static final ContainerRuntime TESTCONTAINERS = new ContainerRuntime() {
        @Override
        public boolean isPresent() {
            ClassLoader loader = PostgresDatabaseExtension.class.getClassLoader();
            try {
                Class.forName("org.testcontainers.DockerClientFactory", false, loader);
                Class.forName("org.testcontainers.postgresql.PostgreSQLContainer", false, loader);
                return true;
            } catch (ClassNotFoundException | LinkageError e) {
                return false;
            }
        }

        @Override
        public boolean isDockerAvailable() {
            return SharedContainer.isDockerAvailable();
        }

        @Override
        public Server start() {
            return SharedContainer.server();
        }
    };

    /**
     * Testcontainers, reached by reflection: its jars split packages between them, so they cannot be modules
     * that this module requires, and without a URL they need not be there at all.
     */
    private static final class SharedContainer {

        private static Object container;

        static boolean isDockerAvailable() {
            try {
                Class<?> factory = Class.forName("org.testcontainers.DockerClientFactory");
                Object instance = factory.getMethod("instance").invoke(null);
                return (Boolean) factory.getMethod("isDockerAvailable").invoke(instance);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Could not ask Testcontainers whether Docker is available", e);
            }
        }

        static synchronized Server server() {
            try {
                Class<?> type = Class.forName("org.testcontainers.postgresql.PostgreSQLContainer");
                if (container == null) {
                    // Never stopped here: Testcontainers' reaper removes it when the JVM exits, so every test
                    // class of the run shares one server.
                    Object started = type.getConstructor(String.class).newInstance(CONTAINER_IMAGE);
                    type.getMethod("start").invoke(started);
                    container = started;
                }
                return new Server((String) type.getMethod("getJdbcUrl").invoke(container),
                        (String) type.getMethod("getUsername").invoke(container),
                        (String) type.getMethod("getPassword").invoke(container), "Testcontainers " + CONTAINER_IMAGE);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("Testcontainers could not start PostgreSQL (" + CONTAINER_IMAGE + ")",
                        e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Testcontainers' PostgreSQL module is not as expected", e);
            }
        }
    }
}
