package dev.idempotency.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

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
 * <p>Needs H2 ({@code com.h2database:h2}) on the test class path.
 */
public final class H2DatabaseExtension implements TestDatabase, AutoCloseable, BeforeAllCallback, AfterAllCallback,
        BeforeEachCallback, AfterEachCallback {

    /** The size of the pool behind {@link #dataSource()} unless {@link #withMaxPoolSize} says otherwise. */
    public static final int DEFAULT_MAX_POOL_SIZE = 20;

    /** The user every H2 database created by this extension has. */
    public static final String USER = "sa";

    /** The (empty) password of {@link #USER}. */
    public static final String PASSWORD = "";

    private static final String DRIVER_CLASS = "org.h2.Driver";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int maxPoolSize;
    private final ExtensionLifecycle lifecycle = new ExtensionLifecycle();
    private final Pools pools = new Pools();
    private final AtomicInteger extraPools = new AtomicInteger();
    private volatile Running running;

    private H2DatabaseExtension(int maxPoolSize) {
        Pools.requireValidPoolSize(maxPoolSize);
        this.maxPoolSize = maxPoolSize;
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
        if (running != null) {
            throw new IllegalStateException("H2DatabaseExtension is running already");
        }
        start();
        return this;
    }

    /** Closes the pools and shuts the database down of an extension started with {@link #open()}. */
    @Override
    public synchronized void close() {
        stop();
    }

    /** Starts the database for the whole class when the extension is registered in a static field. */
    @Override
    public void beforeAll(ExtensionContext context) {
        if (lifecycle.beforeAll()) {
            start();
        }
    }

    /** Shuts the database of a class-wide extension down after the last test of its class. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (lifecycle.afterAll()) {
            stop();
        }
    }

    /** Starts a database for this test when the extension is registered in an instance field. */
    @Override
    public void beforeEach(ExtensionContext context) {
        if (lifecycle.beforeEach()) {
            start();
        }
    }

    /** Shuts the database of a per-test extension down after its test. */
    @Override
    public void afterEach(ExtensionContext context) {
        if (lifecycle.afterEach()) {
            stop();
        }
    }

    /** The pool of connections to this extension's database. */
    @Override
    public HikariDataSource dataSource() {
        return running().dataSource();
    }

    /** The URL of this database, such as {@code jdbc:h2:mem:it_3f9c0a1b2c3d4e5f;DB_CLOSE_DELAY=-1}. */
    @Override
    public String jdbcUrl() {
        return running().jdbcUrl();
    }

    /** Always {@value #USER} while the extension runs. */
    @Override
    public String user() {
        running();
        return USER;
    }

    /** Always the empty string while the extension runs. */
    @Override
    public String password() {
        running();
        return PASSWORD;
    }

    /** A new pool on {@link #jdbcUrl()}, closed by the extension before it shuts the database down. */
    @Override
    public HikariDataSource newDataSource(int maxPoolSize) {
        Pools.requireValidPoolSize(maxPoolSize);
        Running current = running();
        return pools.open(current.name() + "-pool-" + extraPools.incrementAndGet(), current.jdbcUrl(), USER,
                PASSWORD, maxPoolSize);
    }

    private Running running() {
        Running current = running;
        if (current == null) {
            throw new IllegalStateException("H2DatabaseExtension is not running: register it with"
                    + " @RegisterExtension in a static field (one database per test class) or an instance field"
                    + " (one database per test), and use it only while its tests run.");
        }
        return current;
    }

    private void start() {
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
        // stop() shuts it down.
        String url = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
        try {
            HikariDataSource dataSource = pools.open(name + "-pool", url, USER, PASSWORD, maxPoolSize);
            running = new Running(name, url, dataSource);
        } catch (RuntimeException e) {
            try {
                pools.closeAll();
                shutdown(url);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void stop() {
        Running current = running;
        running = null;
        RuntimeException failure = null;
        try {
            pools.closeAll();
        } catch (RuntimeException e) {
            failure = e;
        }
        if (current != null) {
            try {
                shutdown(current.jdbcUrl());
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void shutdown(String url) {
        try (Connection connection = DriverManager.getConnection(url, USER, PASSWORD);
                Statement statement = connection.createStatement()) {
            statement.execute("SHUTDOWN");
        } catch (SQLException e) {
            throw new ExtensionConfigurationException("Could not shut down the H2 database " + url + ": "
                    + e.getMessage(), e);
        }
    }

    private record Running(String name, String jdbcUrl, HikariDataSource dataSource) {
    }
}
