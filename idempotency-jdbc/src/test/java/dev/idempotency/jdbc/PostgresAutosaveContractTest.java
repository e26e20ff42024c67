package dev.idempotency.jdbc;

import dev.idempotency.store.IdempotencyStore;
import dev.idempotency.testing.IdempotencyStoreContract;
import dev.idempotency.testing.PostgresDatabaseExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store contract on PostgreSQL, when the driver sets a savepoint before every statement and releases
 * it after (pgjdbc's {@code autosave}).
 */
class PostgresAutosaveContractTest extends IdempotencyStoreContract {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private static DriverSettingsStore pooled;

    @BeforeAll
    static void openStore() {
        pooled = DriverSettingsStore.open(DB, "autosave=always&cleanupSavepoints=true");
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
