package dev.idempotency.jdbc;

import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.testing.IdempotencyStoreContract;
import dev.idempotency.testing.PostgresDatabaseExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresIdempotencyStoreContractTest extends IdempotencyStoreContract {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private static JdbcIdempotencyStore store;

    @BeforeAll
    static void createStore() {
        store = JdbcIdempotencyStore.create(DB.dataSource());
    }

    @AfterAll
    static void closeStore() {
        store.close();
    }

    @Override
    protected IdempotencyStore store() {
        return store;
    }
}
