package dev.idempotency.testing;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/**
 * A fresh MariaDB database for a test class or a single test, with a connection pool on it, through MariaDB
 * Connector/J or, with {@link #withMySqlDriver()}, MySQL Connector/J.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();
 * }</pre>
 *
 * <p>Registered in a static field, the extension creates its database before all tests of the class and drops
 * it after them; registered in an instance field, it does so around each test. The database is named
 * {@code it_} followed by random lower-case hex digits, so test classes never meet each other's tables.
 *
 * <p>The server is the one the environment variable {@value #ENV_JDBC_URL} names, a {@code jdbc:mariadb:} URL
 * such as {@code jdbc:mariadb://127.0.0.1:3306/test?user=root}; the database in its path is where the
 * extension connects to create and drop its own. {@link #withMySqlDriver()} connects to the same server with
 * the same URL spelt {@code jdbc:mysql:}, which MySQL Connector/J takes. Without the variable the extension fails
 * with {@link ExtensionConfigurationException} saying so: it never skips, since a test that cannot reach its
 * database has not passed. There is no container fallback.
 *
 * <p>Needs the driver it connects with on the test class path: {@code org.mariadb.jdbc:mariadb-java-client},
 * or {@code com.mysql:mysql-connector-j} for {@link #withMySqlDriver()}.
 */
public final class MariaDbDatabaseExtension extends DatabaseExtension<MariaDbDatabaseExtension.Schema> {

    /** The environment variable holding the {@code jdbc:mariadb:} URL of the server to test against. */
    public static final String ENV_JDBC_URL = "IDEMPOTENCY_TEST_MARIADB_URL";

    /** The size of the pool behind {@link #dataSource()} unless {@link #withMaxPoolSize} says otherwise. */
    public static final int DEFAULT_MAX_POOL_SIZE = 20;

    static final String NO_MARIADB_MESSAGE = "No MariaDB for tests: set " + ENV_JDBC_URL
            + " (for example jdbc:mariadb://127.0.0.1:3306/test?user=root).";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The JDBC driver an extension connects with. */
    enum Driver {
        MARIADB("jdbc:mariadb:", "org.mariadb.jdbc.Driver", "org.mariadb.jdbc:mariadb-java-client"),
        MYSQL("jdbc:mysql:", "com.mysql.cj.jdbc.Driver", "com.mysql:mysql-connector-j");

        final String scheme;
        final String className;
        final String artifact;

        Driver(String scheme, String className, String artifact) {
            this.scheme = scheme;
            this.className = className;
            this.artifact = artifact;
        }
    }

    private final Driver driver;
    private final Map<String, String> environment;

    MariaDbDatabaseExtension(int maxPoolSize, Driver driver, Map<String, String> environment) {
        super(maxPoolSize, "database");
        this.driver = driver;
        this.environment = environment;
    }

    /** An extension on MariaDB Connector/J with a pool of {@value #DEFAULT_MAX_POOL_SIZE} connections. */
    public static MariaDbDatabaseExtension create() {
        return new MariaDbDatabaseExtension(DEFAULT_MAX_POOL_SIZE, Driver.MARIADB, System.getenv());
    }

    /**
     * A copy of this extension that connects through MySQL Connector/J, with {@value #ENV_JDBC_URL} spelt
     * {@code jdbc:mysql:}.
     */
    public MariaDbDatabaseExtension withMySqlDriver() {
        return new MariaDbDatabaseExtension(maxPoolSize(), Driver.MYSQL, environment);
    }

    /**
     * A copy of this extension whose {@link #dataSource()} pool holds at most {@code maxPoolSize} connections.
     *
     * @throws IllegalArgumentException if {@code maxPoolSize} is less than 1
     */
    public MariaDbDatabaseExtension withMaxPoolSize(int maxPoolSize) {
        return new MariaDbDatabaseExtension(maxPoolSize, driver, environment);
    }

    /**
     * Starts a database outside JUnit's life cycle, for a harness that makes databases on demand; the caller must
     * {@link #close()} it. Not for an extension registered with {@code @RegisterExtension}.
     *
     * @return this, running
     * @throws IllegalStateException if it is running already
     */
    public synchronized MariaDbDatabaseExtension open() {
        startOutsideJUnit();
        return this;
    }

    /**
     * The database this extension created, such as {@code it_3f9c0a1b2c3d4e5f}.
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    public String databaseName() {
        return database().name();
    }

    /** Whether this extension connects through MySQL Connector/J. */
    public boolean usesMySqlDriver() {
        return driver == Driver.MYSQL;
    }

    @Override
    Schema createDatabase() {
        String server = serverUrl(environment, driver);
        try {
            Class.forName(driver.className, false, MariaDbDatabaseExtension.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExtensionConfigurationException("MariaDbDatabaseExtension needs " + driver.artifact
                    + " on the test class path.", e);
        }
        String name = "it_" + randomHex();
        execute(server, "CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
        return new Schema(server, name, withDatabase(server, name));
    }

    /** A database this extension created, and the URL that connects to it. */
    record Schema(String serverUrl, String name, String jdbcUrl) implements DatabaseExtension.Database {

        Schema {
            Objects.requireNonNull(serverUrl, "serverUrl");
        }

        @Override
        public String user() {
            return null;
        }

        @Override
        public String password() {
            return null;
        }

        /** Drops the database with everything in it. */
        @Override
        public void discard() {
            execute(serverUrl, "DROP DATABASE IF EXISTS " + name);
        }
    }

    /** The server's URL for {@code driver}, from {@value #ENV_JDBC_URL}. */
    static String serverUrl(Map<String, String> environment, Driver driver) {
        String url = environment.get(ENV_JDBC_URL);
        if (url == null || url.isBlank()) {
            throw new ExtensionConfigurationException(NO_MARIADB_MESSAGE);
        }
        url = url.trim();
        if (!url.startsWith(Driver.MARIADB.scheme)) {
            throw new ExtensionConfigurationException(ENV_JDBC_URL + " must be a MariaDB JDBC URL starting with "
                    + "jdbc:mariadb:, not " + url.replaceAll("([?&]password=)[^&]*", "$1***"));
        }
        return driver.scheme + url.substring(Driver.MARIADB.scheme.length());
    }

    /** {@code url} with the database of its path replaced by {@code database}. */
    static String withDatabase(String url, String database) {
        int hosts = url.indexOf("//");
        int path = url.indexOf('/', hosts + 2);
        int query = url.indexOf('?');
        String base = path < 0 ? (query < 0 ? url : url.substring(0, query)) : url.substring(0, path);
        return base + "/" + database + (query < 0 ? "" : url.substring(query));
    }

    private static void execute(String url, String sql) {
        try (Connection connection = DriverManager.getConnection(url);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new ExtensionConfigurationException("Could not run \"" + sql + "\" on "
                    + url.replaceAll("([?&]password=)[^&]*", "$1***") + " (from " + ENV_JDBC_URL + "): "
                    + e.getMessage(), e);
        }
    }

    private static String randomHex() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
