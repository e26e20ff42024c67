package dev.idempotency.jdbc.internal;

import java.sql.Connection;
import java.util.IdentityHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Which connection, per DataSource, carries the current thread's idempotent request. Keyed by the pool
 * the store claims from, so an application with two stores on two databases keeps them apart.
 */
public final class TransactionBinding {

    private static final ThreadLocal<Map<DataSource, Connection>> BOUND = new ThreadLocal<>();

    private TransactionBinding() {
    }

    /**
     * Binds {@code connection} for {@code dataSource} on this thread.
     *
     * @throws IllegalStateException if one is bound already: idempotent requests do not nest
     */
    public static void bind(DataSource dataSource, Connection connection) {
        Map<DataSource, Connection> bound = BOUND.get();
        if (bound == null) {
            bound = new IdentityHashMap<>(2);
            BOUND.set(bound);
        }
        if (bound.containsKey(dataSource)) {
            throw new IllegalStateException("This thread is already running an idempotent request on this "
                    + "DataSource; idempotent requests cannot nest");
        }
        bound.put(dataSource, connection);
    }

    /** The connection bound for {@code dataSource} on this thread, or {@code null}. */
    public static Connection current(DataSource dataSource) {
        Map<DataSource, Connection> bound = BOUND.get();
        return bound == null ? null : bound.get(dataSource);
    }

    /** Unbinds, leaving no thread-local behind once nothing is bound (threads are pooled). */
    public static void unbind(DataSource dataSource) {
        Map<DataSource, Connection> bound = BOUND.get();
        if (bound != null) {
            bound.remove(dataSource);
            if (bound.isEmpty()) {
                BOUND.remove();
            }
        }
    }
}
