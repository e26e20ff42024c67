package dev.idempotency.testing;

import com.zaxxer.hikari.HikariDataSource;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What {@link H2DatabaseExtension}, {@link PostgresDatabaseExtension} and {@link MariaDbDatabaseExtension} share: a database for a test class
 * when registered in a static field and for each test when registered in an instance field (decided by
 * {@link ExtensionLifecycle}), or for as long as a harness holds it between {@link #startOutsideJUnit()} and
 * {@link #close()}; the connection pools, every one of which is closed at the end; and the clean-up when
 * starting or stopping fails half way. A subclass says only how its database is made and discarded.
 *
 * @param <D> the kind of database the subclass makes
 */
abstract class DatabaseExtension<D extends DatabaseExtension.Database> implements TestDatabase, AutoCloseable,
        BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    /** A database an extension made: where it is, and how to get rid of it. */
    interface Database {

        /** The database's name, which its pools' names start with. */
        String name();

        /** Where to connect. */
        String jdbcUrl();

        /** The user to connect as, or {@code null} for the driver's default. */
        String user();

        /** The password, or {@code null} for none. */
        String password();

        /** Drops the database, or shuts it down; called once its pools are closed. */
        void discard();
    }

    private final int maxPoolSize;
    private final String unit;
    private final ExtensionLifecycle lifecycle = new ExtensionLifecycle();
    private final Pools pools = new Pools();
    private final AtomicInteger extraPools = new AtomicInteger();
    private volatile Running<D> running;

    /**
     * @param maxPoolSize the size of the pool behind {@link #dataSource()}
     * @param unit what one extension holds, "database" or "schema", for messages
     * @throws IllegalArgumentException if {@code maxPoolSize} is less than 1
     */
    DatabaseExtension(int maxPoolSize, String unit) {
        Pools.requireValidPoolSize(maxPoolSize);
        this.maxPoolSize = maxPoolSize;
        this.unit = unit;
    }

    /** The size of the pool behind {@link #dataSource()}. */
    final int maxPoolSize() {
        return maxPoolSize;
    }

    /** Makes a new, empty database; it must not be in use by anything else. */
    abstract D createDatabase();

    /** Starts the database for the whole class when the extension is registered in a static field. */
    @Override
    public final void beforeAll(ExtensionContext context) {
        if (lifecycle.beforeAll()) {
            start();
        }
    }

    /** Discards the database of a class-wide extension after the last test of its class. */
    @Override
    public final void afterAll(ExtensionContext context) {
        if (lifecycle.afterAll()) {
            stop();
        }
    }

    /** Starts a database for this test when the extension is registered in an instance field. */
    @Override
    public final void beforeEach(ExtensionContext context) {
        if (lifecycle.beforeEach()) {
            start();
        }
    }

    /** Discards the database of a per-test extension after its test. */
    @Override
    public final void afterEach(ExtensionContext context) {
        if (lifecycle.afterEach()) {
            stop();
        }
    }

    /**
     * Starts the database outside JUnit's life cycle; the subclass's {@code open()} calls it.
     *
     * @throws IllegalStateException if it is running already
     */
    final synchronized void startOutsideJUnit() {
        if (running != null) {
            throw new IllegalStateException(getClass().getSimpleName() + " is running already");
        }
        start();
    }

    /** Closes the pools and discards the database of an extension started with {@code open()}. */
    @Override
    public final synchronized void close() {
        stop();
    }

    /** The shared pool of connections to this extension's database. */
    @Override
    public final HikariDataSource dataSource() {
        return running().dataSource();
    }

    @Override
    public final String jdbcUrl() {
        return database().jdbcUrl();
    }

    @Override
    public final String user() {
        return database().user();
    }

    @Override
    public final String password() {
        return database().password();
    }

    /** A new pool on {@link #jdbcUrl()}, closed by the extension before it discards the database. */
    @Override
    public final HikariDataSource newDataSource(int maxPoolSize) {
        Pools.requireValidPoolSize(maxPoolSize);
        D database = database();
        return pools.open(database.name() + "-pool-" + extraPools.incrementAndGet(), database.jdbcUrl(),
                database.user(), database.password(), maxPoolSize);
    }

    /**
     * The running database.
     *
     * @throws IllegalStateException if the extension has not started or has ended
     */
    final D database() {
        return running().database();
    }

    private Running<D> running() {
        Running<D> current = running;
        if (current == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " is not running: register it with"
                    + " @RegisterExtension in a static field (one " + unit + " per test class) or an instance field"
                    + " (one " + unit + " per test), and use it only while its tests run.");
        }
        return current;
    }

    private void start() {
        D database = createDatabase();
        try {
            HikariDataSource dataSource = pools.open(database.name() + "-pool", database.jdbcUrl(), database.user(),
                    database.password(), maxPoolSize);
            running = new Running<>(database, dataSource);
        } catch (RuntimeException e) {
            try {
                pools.closeAll();
                database.discard();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void stop() {
        Running<D> current = running;
        running = null;
        // Pools close first: a connection left in a transaction would hold locks a drop waits for.
        RuntimeException failure = null;
        try {
            pools.closeAll();
        } catch (RuntimeException e) {
            failure = e;
        }
        if (current != null) {
            try {
                current.database().discard();
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

    private record Running<D>(D database, HikariDataSource dataSource) {
    }
}
