package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A store that cannot start says why, and which database, without the password: not in the message, and
 * not anywhere in the stack trace a caller may print, however the password was given (a URL parameter in
 * either syntax, the URL's user information, or the builder) and whoever wrote the message (the library,
 * HikariCP, the driver, Flyway).
 */
class PasswordRedactionTest {

    private static final String SECRET = "S3cr3t-pa55";

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    @Test
    void unreachableServerNeverShowsThePasswordOfTheUrl() {
        String url = "jdbc:postgresql://127.0.0.1:1/x?user=postgres&password=" + SECRET + "&connectTimeout=2";

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl(url).build());

        assertNeverShowsTheSecret(e);
        assertTrue(e.getMessage().contains("jdbc:postgresql://127.0.0.1:1/x?user=postgres&password=***"),
                e.getMessage());
    }

    @Test
    void unreachableServerNeverShowsThePasswordGivenToTheBuilder() {
        String url = "jdbc:postgresql://127.0.0.1:1/x?connectTimeout=2";

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl(url).username("postgres").password(SECRET).build());

        assertNeverShowsTheSecret(e);
        assertTrue(e.getMessage().contains(url), e.getMessage());
    }

    @Test
    void passwordInAnyPositionAndCaseIsHidden() {
        for (String url : new String[] {
                "jdbc:postgresql://127.0.0.1:1/x?PASSWORD=" + SECRET + "&user=postgres&connectTimeout=2",
                "jdbc:postgresql://127.0.0.1:1/x?connectTimeout=2&user=postgres&sslpassword=" + SECRET,
                "jdbc:h2:tcp://127.0.0.1:1/x;USER=sa;PASSWORD=" + SECRET}) {
            StoreException e = assertThrows(StoreException.class,
                    () -> JdbcIdempotencyStore.builder().jdbcUrl(url).build(), url);
            assertNeverShowsTheSecret(e);
        }
    }

    @Test
    void urlThatTheDriverCannotParseNeverShowsThePasswordOfItsUserInformation() {
        // The driver does not read user information; HikariCP then quotes the URL in its own exception.
        String url = "jdbc:postgresql://postgres:" + SECRET + "@127.0.0.1:1/x";

        StoreException e = assertThrows(StoreException.class, () -> JdbcIdempotencyStore.builder().jdbcUrl(url).build());

        assertNeverShowsTheSecret(e);
    }

    @Test
    void urlOfAnUnknownDatabaseKindNeverShowsThePassword() {
        String url = "jdbc:nosuchdb://127.0.0.1:1/x?user=u&password=" + SECRET;

        StoreException e = assertThrows(StoreException.class, () -> JdbcIdempotencyStore.builder().jdbcUrl(url)
                .password(SECRET).build());

        assertNeverShowsTheSecret(e);
        assertTrue(e.getMessage().contains("jdbc:nosuchdb://127.0.0.1:1/x?user=u&password=***"), e.getMessage());
    }

    @Test
    void urlThatIsNotJdbcIsRefusedWithoutShowingThePassword() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcIdempotencyStore.builder().jdbcUrl("postgresql://postgres:" + SECRET + "@db/app"));

        assertNeverShowsTheSecret(e);
        assertTrue(e.getMessage().contains("jdbcUrl") && e.getMessage().contains("postgresql://postgres:***@db/app"),
                e.getMessage());
    }

    @Test
    void missingDatabaseOnARealServerNeverShowsThePassword() {
        // The server answers, and refuses: its error, HikariCP's and ours all quote something of the URL.
        String url = withParameter(db.jdbcUrl().replace("/test?", "/no_such_database_here?"), "password", SECRET);

        StoreException e = assertThrows(StoreException.class, () -> JdbcIdempotencyStore.builder().jdbcUrl(url)
                .build());

        assertNeverShowsTheSecret(e);
        assertTrue(e.getMessage().contains("no_such_database_here"), e.getMessage());
    }

    @Test
    void failedMigrationOnARealServerNeverShowsThePassword() throws Exception {
        // A history table that is not Flyway's makes the migration fail after connecting, so Flyway describes
        // the database it is connected to.
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE idempotency_schema_history (unrelated TEXT)");
        }
        String url = withParameter(db.jdbcUrl(), "password", SECRET);

        StoreException e = assertThrows(StoreException.class, () -> JdbcIdempotencyStore.builder().jdbcUrl(url)
                .username(db.user()).build());

        assertNeverShowsTheSecret(e);
    }

    @Test
    void inboxAndOutboxOnAPoolWhoseDescriptionHasThePasswordNeverShowIt() {
        JdbcDataSource pool = new JdbcDataSource();
        pool.setURL("jdbc:h2:tcp://127.0.0.1:1/x;PASSWORD=" + SECRET);
        pool.setUser("sa");

        StoreException inbox = assertThrows(StoreException.class, () -> JdbcInbox.builder().dataSource(pool).build());
        StoreException outbox = assertThrows(StoreException.class,
                () -> JdbcOutbox.builder().dataSource(pool).build());
        StoreException store = assertThrows(StoreException.class, () -> JdbcIdempotencyStore.create(pool));

        assertNeverShowsTheSecret(inbox);
        assertNeverShowsTheSecret(outbox);
        assertNeverShowsTheSecret(store);
        assertTrue(inbox.getMessage().contains("PASSWORD=***"), inbox.getMessage());
    }

    private static String withParameter(String url, String name, String value) {
        return url + (url.contains("?") ? "&" : "?") + name + "=" + value;
    }

    /** The message, and everything printStackTrace prints: every cause and suppressed exception. */
    static void assertNeverShowsTheSecret(Throwable e) {
        StringWriter printed = new StringWriter();
        e.printStackTrace(new PrintWriter(printed));
        assertFalse(String.valueOf(e.getMessage()).contains(SECRET), e.getMessage());
        assertFalse(printed.toString().contains(SECRET), printed.toString());
        assertTrue(printed.toString().contains("\tat "), "the stack trace is kept: " + printed);
    }
}
