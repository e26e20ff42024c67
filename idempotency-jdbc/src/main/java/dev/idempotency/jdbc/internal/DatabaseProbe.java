package dev.idempotency.jdbc.internal;

import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.store.StoreException;
import dev.idempotency.store.StoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * What a component of this library needs to know about the pool it is given, learnt from one connection:
 * the engine, and whether the pool's default isolation level is something else than READ COMMITTED.
 *
 * @param pool the pool itself: a {@link TransactionJoiningDataSource} passed in is replaced by its pool, so
 *     the component joins the same transactions as the idempotency store on that pool
 * @param engine the database engine
 * @param forceReadCommitted whether the component must set READ COMMITTED on its own transactions
 */
public record DatabaseProbe(DataSource pool, DatabaseEngine engine, boolean forceReadCommitted) {

    /**
     * Probes {@code dataSource}.
     *
     * @param component who asks, for messages, such as {@code "JdbcOutbox"}
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the database is not PostgreSQL or H2
     */
    public static DatabaseProbe of(DataSource dataSource, String component) {
        Objects.requireNonNull(dataSource, "dataSource");
        DataSource pool = dataSource instanceof TransactionJoiningDataSource joining ? joining.pool() : dataSource;
        try (Connection connection = pool.getConnection()) {
            DatabaseEngine engine = DatabaseEngine.fromProductName(connection.getMetaData().getDatabaseProductName());
            return new DatabaseProbe(pool, engine,
                    connection.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED);
        } catch (SQLException e) {
            throw SqlErrors.translate("connecting " + component + " to its database (" + pool + ")", e);
        }
    }
}
