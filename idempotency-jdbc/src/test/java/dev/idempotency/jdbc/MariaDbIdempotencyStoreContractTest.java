package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.testing.IdempotencyStoreContract;
import dev.idempotency.testing.MariaDbDatabaseExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store contract on MariaDB, through MariaDB Connector/J and MySQL Connector/J, and through pools whose
 * settings the dialect must not depend on: a driver that counts affected rather than matched rows
 * ({@code useAffectedRows=true}, with MySQL Connector/J, where the trap is best known: an unchanged
 * {@code ON DUPLICATE KEY UPDATE} then counts 0 rather than 1, and an unchanged {@code UPDATE} 0), and a session
 * time zone far from UTC. Every pool runs at InnoDB's default, REPEATABLE READ.
 */
class MariaDbIdempotencyStoreContractTest {

    @RegisterExtension
    static final MariaDbDatabaseExtension MARIADB_DRIVER = MariaDbDatabaseExtension.create();

    @RegisterExtension
    static final MariaDbDatabaseExtension MYSQL_DRIVER = MariaDbDatabaseExtension.create().withMySqlDriver();

    @Nested
    class MariaDbConnectorJ extends OnPool {
        MariaDbConnectorJ() {
            super(MARIADB_DRIVER, "", null);
        }
    }

    @Nested
    class MySqlConnectorJ extends OnPool {
        MySqlConnectorJ() {
            super(MYSQL_DRIVER, "", null);
        }
    }

    @Nested
    class MySqlConnectorJCountingAffectedRows extends OnPool {
        MySqlConnectorJCountingAffectedRows() {
            super(MYSQL_DRIVER, "useAffectedRows=true", null);
        }
    }

    /** The session's time_zone moves NOW() and CURRENT_TIMESTAMP, and the drivers' conversions; not the store. */
    @Nested
    class SessionTimeZoneFarFromUtc extends OnPool {
        SessionTimeZoneFarFromUtc() {
            super(MYSQL_DRIVER, "", "SET time_zone = '+09:30'");
        }
    }

    /** The contract on a pool of its own on {@code db}, whose URL adds {@code settings}. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class OnPool extends IdempotencyStoreContract {

        private final MariaDbDatabaseExtension db;
        private final String settings;
        private final String initSql;
        private HikariDataSource pool;
        private JdbcIdempotencyStore store;

        OnPool(MariaDbDatabaseExtension db, String settings, String initSql) {
            this.db = db;
            this.settings = settings;
            this.initSql = initSql;
        }

        @BeforeAll
        void openStore() throws SQLException {
            HikariConfig config = new HikariConfig();
            String url = db.jdbcUrl();
            config.setJdbcUrl(settings.isEmpty() ? url : url + (url.contains("?") ? "&" : "?") + settings);
            config.setMaximumPoolSize(20);
            if (initSql != null) {
                config.setConnectionInitSql(initSql);
            }
            pool = new HikariDataSource(config);
            try (Connection connection = pool.getConnection(); Statement st = connection.createStatement();
                    ResultSet rs = st.executeQuery("SELECT @@tx_isolation")) {
                rs.next();
                assertEquals("REPEATABLE-READ", rs.getString(1), "the pool's default isolation");
            }
            store = JdbcIdempotencyStore.create(pool);
            assertEquals(DatabaseEngine.MARIADB, store.engine());
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
