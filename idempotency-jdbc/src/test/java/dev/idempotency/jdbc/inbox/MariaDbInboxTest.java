package dev.idempotency.jdbc.inbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.testing.MariaDbDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The inbox on MariaDB, through MariaDB Connector/J. Its pool's sessions wait 1 s for a lock
 * ({@code innodb_lock_wait_timeout}, 50 s by default), so that a duplicate delivery provably waits longer than the
 * engine's lock timeout for the first delivery's transaction, and keeps waiting.
 */
class MariaDbInboxTest extends InboxScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    private static HikariDataSource pool;

    @AfterAll
    static void closePool() {
        if (pool != null) {
            pool.close();
        }
    }

    @Override
    protected TestDatabase database() {
        synchronized (MariaDbInboxTest.class) {
            if (pool == null) {
                HikariConfig config = new HikariConfig();
                config.setJdbcUrl(DB.jdbcUrl());
                config.setMaximumPoolSize(20);
                config.setConnectionInitSql("SET SESSION innodb_lock_wait_timeout = 1");
                pool = new HikariDataSource(config);
            }
        }
        return new TestDatabase() {
            @Override
            public DataSource dataSource() {
                return pool;
            }

            @Override
            public String jdbcUrl() {
                return DB.jdbcUrl();
            }

            @Override
            public String user() {
                return DB.user();
            }

            @Override
            public String password() {
                return DB.password();
            }

            @Override
            public DataSource newDataSource(int maxPoolSize) {
                return DB.newDataSource(maxPoolSize);
            }
        };
    }

    /** Past the pool's lock wait timeout of 1 s. */
    @Override
    protected Duration holdPastTheLockTimeout() {
        return Duration.ofMillis(1500);
    }

    @Override
    protected String currentSessionQuery() {
        return "SELECT CONNECTION_ID()";
    }

    /**
     * The other sessions executing the insert of this message's marker, as H2's test counts them: while the
     * holder's marker is uncommitted, that insert cannot end, and it waits. (The driver sends a statement's
     * parameters in its text, so the process list shows the message id.)
     */
    @Override
    protected int deliveriesWaitingFor(Connection connection, int holder, String messageId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM information_schema.PROCESSLIST "
                + "WHERE ID <> ? AND INFO LIKE ?")) {
            ps.setInt(1, holder);
            ps.setString(2, "INSERT INTO " + JdbcInbox.TABLE + " %'" + messageId + "'%");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
