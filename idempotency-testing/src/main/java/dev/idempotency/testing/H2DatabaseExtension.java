package dev.idempotency.testing;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/**
 * A fresh in-memory H2 database for a test class or a single test, with a connection pool.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final H2DatabaseExtension DB = H2DatabaseExtension.create();
 * }</pre>
 *
 * <p>Registered in a static field, the extension creates its database before all tests of the class and
 * shuts it down after them; registered in an instance field, it does so around each test. Each extension
 * has its own database ({@code jdbc:h2:mem:it_<random hex>;DB_CLOSE_DELAY=-1}), so tests never see each
 * other's tables. At the end every pool the extension opened is closed and the database is shut down with
 * {@code SHUTDOWN}, which discards it.
 *
 * <p>The user is always {@value #USER} and the password empty. Needs H2 ({@code com.h2database:h2}) on the
 * test class path.
 */
public final class H2DatabaseExtension extends DatabaseExtension<H2DatabaseExtension.InMemoryDatabase> {

    /** The size of the pool behind {@link #dataSource()} unless {@link #withMaxPoolSize} says otherwise. */
    public static final int DEFAULT_MAX_POOL_SIZE = 20;

    /** The user every H2 database created by this extension has. */
    public static final String USER = "sa";

    /** The (empty) password of {@link #USER}. */
    public static final String PASSWORD = "";

    private static final String DRIVER_CLASS = "org.h2.Driver";
    private static final SecureRandom RANDOM = new SecureRandom();

    private H2DatabaseExtension(int maxPoolSize) {
        super(maxPoolSize, "database");
    }

    /** An extension with a pool of {@value #DEFAULT_MAX_POOL_SIZE} connections. */
    public static H2DatabaseExtension create() {
        return new H2DatabaseExtension(DEFAULT_MAX_POOL_SIZE);
    }

    /**
     * A copy of this extension whose {@link #dataSource()} pool holds at most {@code maxPoolSize}
     * connections.
     *
     * @throws IllegalArgumentException if {@code maxPoolSize} is less than 1
     */
    public H2DatabaseExtension withMaxPoolSize(int maxPoolSize) {
        return new H2DatabaseExtension(maxPoolSize);
    }

    /**
     * Starts a database outside JUnit's life cycle, for a harness that makes databases on demand; the caller
     * must {@link #close()} it. Not for an extension registered with {@code @RegisterExtension}.
     *
     * @return this, running
     * @throws IllegalStateException if it is running already
     */
    public synchronized H2DatabaseExtension open() {
        startOutsideJUnit();
        return this;
    }

    @Override
    InMemoryDatabase createDatabase() {
        try {
            Class.forName(DRIVER_CLASS, false, H2DatabaseExtension.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExtensionConfigurationException("H2DatabaseExtension needs H2: add com.h2database:h2 to"
                    + " the test class path.", e);
        }
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        String name = "it_" + HexFormat.of().formatHex(bytes);
        // DB_CLOSE_DELAY=-1 keeps the database while no connection is open (an idle pool holds none), until
        // discard() shuts it down.
        return new InMemoryDatabase(name, "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
    }

    /** A named in-memory database, such as {@code jdbc:h2:mem:it_3f9c0a1b2c3d4e5f;DB_CLOSE_DELAY=-1}. */
    record InMemoryDatabase(String name, String jdbcUrl) implements DatabaseExtension.Database {

        @Override
        public String user() {
            return USER;
        }

        @Override
        public String password() {
            return PASSWORD;
        }

        /** {@code SHUTDOWN}, which discards an in-memory database. */
        @Override
        public void discard() {
            try (Connection connection = DriverManager.getConnection(jdbcUrl, USER, PASSWORD);
                    Statement statement = connection.createStatement()) {
                statement.execute("SHUTDOWN");
            } catch (SQLException e) {
                throw new ExtensionConfigurationException("Could not shut down the H2 database " + jdbcUrl + ": "
                        + e.getMessage(), e);
            }
        }
    }
}
