package dev.idempotency.jdbc.inbox;

import dev.idempotency.testing.H2DatabaseExtension;
import dev.idempotency.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

class H2InboxTest extends InboxScenarios {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @Override
    protected TestDatabase database() {
        return DB;
    }

    /** Past H2's default lock timeout of 2 s, so the duplicate's insert times out and must wait again. */
    @Override
    protected Duration holdPastTheLockTimeout() {
        return Duration.ofMillis(2500);
    }

    @Override
    protected String currentSessionQuery() {
        return "SELECT SESSION_ID()";
    }

    /**
     * H2 names no blocker for an insert that waits on a unique index (the marker's key), so this counts the
     * other sessions executing the insert of this message's marker: while the holder's marker is uncommitted,
     * that insert cannot end, and it waits.
     */
    @Override
    protected int deliveriesWaitingFor(Connection connection, int holder, String messageId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM INFORMATION_SCHEMA.SESSIONS"
                + " WHERE SESSION_ID <> ? AND EXECUTING_STATEMENT LIKE ?")) {
            ps.setInt(1, holder);
            ps.setString(2, "INSERT INTO " + JdbcInbox.TABLE + " %'" + messageId + "'%");
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
