package dev.idempotency.jdbc.inbox;

import dev.idempotency.testing.PostgresDatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresInboxTest extends InboxScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    /** PostgreSQL waits for the conflicting transaction without a timeout (none is configured). */
    @Override
    protected Duration holdPastTheLockTimeout() {
        return Duration.ofMillis(300);
    }

    @Override
    protected String currentSessionQuery() {
        return "SELECT pg_backend_pid()";
    }

    /** The sessions PostgreSQL says the holder's backend blocks. */
    @Override
    protected int deliveriesWaitingFor(Connection connection, int holder, String messageId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))")) {
            ps.setInt(1, holder);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
