package dev.idempotency.it.servlet;

import dev.idempotency.servlet.StoreUnderTest;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.util.function.Supplier;

/**
 * Runs the servlet tests on the JDBC store on PostgreSQL: named by {@value StoreUnderTest#FACTORY_PROPERTY},
 * it gives each {@code JettyApp} a new schema on the server {@link PostgresDatabaseExtension} finds (from
 * {@value PostgresDatabaseExtension#ENV_JDBC_URL}, else Testcontainers, else a failure saying how to provide
 * one), with a pool of {@value JdbcStoreUnderTest#POOL_SIZE} connections. The schema is dropped when the app
 * stops.
 */
public final class PostgresStoreUnderTest implements Supplier<StoreUnderTest> {

    /** Made by the servlet tests' {@code StoreUnderTest.open()}. */
    public PostgresStoreUnderTest() {
    }

    /** A new schema holding the store's table, for one app. */
    @Override
    public StoreUnderTest get() {
        PostgresDatabaseExtension database = PostgresDatabaseExtension.create()
                .withMaxPoolSize(JdbcStoreUnderTest.POOL_SIZE).open();
        return JdbcStoreUnderTest.open("the JDBC store on PostgreSQL schema " + database.schema(), database,
                database.dataSource());
    }
}
