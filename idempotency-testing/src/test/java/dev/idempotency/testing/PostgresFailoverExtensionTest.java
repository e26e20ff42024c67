package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.PostgresFailoverExtension.Replication;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.io.TempDir;

class PostgresFailoverExtensionTest {

    @TempDir
    Path tmp;

    @Test
    void failsNamingTheVariableWhenNoBinariesAreFound() {
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> PostgresFailoverExtension.locateBinaries(null, tmp.resolve("none"), tmp.toString()));
        assertTrue(e.getMessage().contains(PostgresFailoverExtension.ENV_PG_BIN), e.getMessage());
    }

    @Test
    void failsNamingWhatIsMissingInAConfiguredDirectory() throws Exception {
        Path initdb = Files.createFile(tmp.resolve("initdb"));
        assertTrue(initdb.toFile().setExecutable(true));
        ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                () -> PostgresFailoverExtension.locateBinaries(tmp.toString(), tmp.resolve("none"), null));
        assertTrue(e.getMessage().contains("lacks pg_ctl, pg_basebackup"), e.getMessage());
    }

    @Test
    void synchronousStandbyHasEveryConfirmedCommitAfterThePrimaryIsKilledAndRemovesEverything() throws Exception {
        Path directory;
        try (PostgresFailoverExtension pg = PostgresFailoverExtension.create(Replication.SYNCHRONOUS).open()) {
            directory = pg.directory();
            int firstPrimary = pg.primaryPort();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement st = c.createStatement()) {
                assertEquals("sync", one(st, "SELECT sync_state FROM pg_stat_replication"));
                st.execute("CREATE TABLE confirmed (n INT)");
                st.execute("INSERT INTO confirmed SELECT generate_series(1, 100)");
            }
            pg.killPrimary();
            pg.promoteStandby();
            assertNotEquals(firstPrimary, pg.primaryPort());
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement st = c.createStatement()) {
                assertEquals("100", one(st, "SELECT count(*) FROM confirmed"));
                assertEquals("f", one(st, "SELECT pg_is_in_recovery()"), "the multi-host URL finds the new primary");
                st.execute("INSERT INTO confirmed VALUES (101)");
            }

            pg.rebuildStandby();
            assertEquals(firstPrimary, pg.standbyPort(), "the new standby takes the dead primary's place");
            try (Connection c = DriverManager.getConnection(pg.primaryJdbcUrl()); Statement st = c.createStatement()) {
                assertEquals("sync", one(st, "SELECT sync_state FROM pg_stat_replication"));
            }
        }
        assertFalse(Files.exists(directory), "the directory is deleted: " + directory);
    }

    @Test
    void asynchronousStandbyLacksTheCommitsConfirmedWhileReplicationWasStalled() throws Exception {
        try (PostgresFailoverExtension pg = PostgresFailoverExtension.create(Replication.ASYNCHRONOUS).open()) {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement st = c.createStatement()) {
                assertEquals("async", one(st, "SELECT sync_state FROM pg_stat_replication"));
                st.execute("CREATE TABLE confirmed (n INT)");
                st.execute("INSERT INTO confirmed VALUES (1)");
                // Replicated before the stall: the standby must have it before the primary dies.
                String sent = one(st, "SELECT pg_current_wal_lsn()");
                awaitReplayed(pg, sent);
                pg.stallReplication();
                st.execute("INSERT INTO confirmed VALUES (2)");
            }
            pg.killPrimary();
            pg.promoteStandby();
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement st = c.createStatement()) {
                assertEquals("1", one(st, "SELECT string_agg(n::text, ',') FROM confirmed"),
                        "the commit confirmed while nothing reached the standby is gone");
            }
        }
    }

    private static void awaitReplayed(PostgresFailoverExtension pg, String lsn) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.standbyPort()
                + "/postgres?user=postgres"); Statement st = c.createStatement()) {
            while (!"t".equals(one(st, "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn"))) {
                assertTrue(System.nanoTime() < deadline, "the standby replays " + lsn);
                Thread.sleep(20);
            }
        }
    }

    private static String one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }
}
