package dev.idempotency.jdbc;

import dev.idempotency.store.IdempotencyStore;
import dev.idempotency.testing.IdempotencyStoreContract;
import dev.idempotency.testing.PostgresDatabaseExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store contract on PostgreSQL, when the driver sends statements as text with their parameters
 * inlined, as behind a pooler that cannot keep prepared statements (pgjdbc's {@code preferQueryMode=simple}).
 */
class PostgresSimpleQueryModeContractTest extends IdempotencyStoreContract {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private static DriverSettingsStore pooled;

    @BeforeAll
    static void openStore() {
        pooled = DriverSettingsStore.open(DB, "preferQueryMode=simple");
    }

    @AfterAll
    static void closeStore() {
        pooled.close();
    }

    @Override
    protected IdempotencyStore store() {
        return pooled.store();
    }
}
