package dev.idempotency.it.servlet;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.StoreUnderTest;
import dev.idempotency.spi.IdempotencyStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A {@link JdbcIdempotencyStore} on a database made for one {@code JettyApp} by a database extension
 * opened outside JUnit's life cycle; closing it closes the store and the extension, which discards the
 * database.
 */
final class JdbcStoreUnderTest implements StoreUnderTest {

    /**
     * Connections per store. An open claim holds one until its outcome is stored, and the servlet tests
     * fire 32 requests at once; waiting requests (wait mode) poll without holding one.
     */
    static final int POOL_SIZE = 40;

    private final String description;
    private final AutoCloseable database;
    private final HikariDataSource pool;
    private final JdbcIdempotencyStore store;

    private JdbcStoreUnderTest(String description, AutoCloseable database, HikariDataSource pool,
            JdbcIdempotencyStore store) {
        this.description = description;
        this.database = database;
        this.pool = pool;
        this.store = store;
    }

    /** Builds the store, which creates its table, on {@code pool}; closes {@code database} if that fails. */
    static JdbcStoreUnderTest open(String description, AutoCloseable database, HikariDataSource pool) {
        try {
            return new JdbcStoreUnderTest(description, database, pool, JdbcIdempotencyStore.create(pool));
        } catch (RuntimeException e) {
            try {
                database.close();
            } catch (Exception cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    @Override
    public IdempotencyStore store() {
        return store;
    }

    /**
     * The rows of the store's table that a new transaction sees, whatever their state: committed ones. In
     * transaction mode a claim's row commits only with its outcome, so these are the outcomes stored.
     */
    @Override
    public int recordCount() {
        try (Connection connection = pool.getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + IdempotencySchema.TABLE)) {
            rows.next();
            return rows.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not count the records of " + description + ": " + e.getMessage(),
                    e);
        }
    }

    /** Closes the store, then the database; a pool still in use fails the close. */
    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            store.close();
            int active = pool.getHikariPoolMXBean().getActiveConnections();
            if (active > 0) {
                failure = new IllegalStateException(description + " still had " + active
                        + " connection(s) in use when its app stopped: a claim was never completed or abandoned");
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            database.close();
        } catch (Exception e) {
            RuntimeException closing = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            if (failure == null) {
                failure = closing;
            } else {
                failure.addSuppressed(closing);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
