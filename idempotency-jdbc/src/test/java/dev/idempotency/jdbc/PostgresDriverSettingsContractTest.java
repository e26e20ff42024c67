package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.testing.IdempotencyStoreContract;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.jdbc.AutoSave;
import org.postgresql.jdbc.PreferQueryMode;

/**
 * The store contract on PostgreSQL through pools whose driver settings change how statements travel. A
 * claim takes its lock and reads its record as two statements in one flight, and the outcome sends its
 * insert and the {@code COMMIT} as one; settings that wrap or rewrite statements must not change what
 * either does.
 */
class PostgresDriverSettingsContractTest {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    /** The driver sets a savepoint before every statement and releases it after (pgjdbc's {@code autosave}). */
    @Nested
    class Autosave extends WithDriverSettings {
        Autosave() {
            super("autosave=always&cleanupSavepoints=true");
        }

        @Override
        void assertApplied(PGConnection driver) {
            assertEquals(AutoSave.ALWAYS, driver.getAutosave());
        }
    }

    /**
     * The driver sends statements as text with their parameters inlined, as behind a pooler that cannot
     * keep prepared statements (pgjdbc's {@code preferQueryMode=simple}).
     */
    @Nested
    class SimpleQueryMode extends WithDriverSettings {
        SimpleQueryMode() {
            super("preferQueryMode=simple");
        }

        @Override
        void assertApplied(PGConnection driver) {
            assertEquals(PreferQueryMode.SIMPLE, driver.getPreferQueryMode());
        }
    }

    /** The contract on a pool of its own whose JDBC URL adds {@code settings}. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract class WithDriverSettings extends IdempotencyStoreContract {

        private final String settings;
        private HikariDataSource pool;
        private JdbcIdempotencyStore store;

        WithDriverSettings(String settings) {
            this.settings = settings;
        }

        /** Fails unless the pool's connections run with this class's settings. */
        abstract void assertApplied(PGConnection driver);

        @BeforeAll
        void openStore() throws SQLException {
            HikariConfig config = new HikariConfig();
            String url = DB.jdbcUrl();
            config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + settings);
            config.setUsername(DB.user());
            config.setPassword(DB.password());
            config.setMaximumPoolSize(20);
            pool = new HikariDataSource(config);
            try (Connection connection = pool.getConnection()) {
                assertApplied(connection.unwrap(PGConnection.class));
            }
            store = JdbcIdempotencyStore.create(pool);
        }

        @AfterAll
        void closeStore() {
            store.close();
            pool.close();
        }

        @Override
        protected IdempotencyStore store() {
            return store;
        }
    }
}
