package dev.idempotency.jdbc;

import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.IdempotencyStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2IdempotencyStoreContractTest extends IdempotencyStoreContract {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

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
