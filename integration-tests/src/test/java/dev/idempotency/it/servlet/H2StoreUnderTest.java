package dev.idempotency.it.servlet;

import dev.idempotency.servlet.StoreUnderTest;
import dev.idempotency.testing.H2DatabaseExtension;
import java.util.function.Supplier;

/**
 * Runs the servlet tests on the JDBC store on H2: named by {@value StoreUnderTest#FACTORY_PROPERTY}, it
 * gives each {@code JettyApp} a new in-memory database (from {@link H2DatabaseExtension}) with a pool of
 * {@value JdbcStoreUnderTest#POOL_SIZE} connections, shut down when the app stops.
 */
public final class H2StoreUnderTest implements Supplier<StoreUnderTest> {

    /** Made by the servlet tests' {@code StoreUnderTest.open()}. */
    public H2StoreUnderTest() {
    }

    /** A new H2 database holding the store's table, for one app. */
    @Override
    public StoreUnderTest get() {
        H2DatabaseExtension database = H2DatabaseExtension.create().withMaxPoolSize(JdbcStoreUnderTest.POOL_SIZE).open();
        return JdbcStoreUnderTest.open("the JDBC store on H2 database " + database.jdbcUrl(), database,
                database.dataSource());
    }
}
