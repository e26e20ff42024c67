package dev.idempotency.jdbc.internal;

import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.Redaction;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * What a component of this library needs to know about the pool it is given, learnt from one connection:
 * the engine, and whether the pool's default isolation level is something else than READ COMMITTED; and
 * from it, the component's {@linkplain #dialect() SQL} and {@linkplain #transactions() transactions}.
 *
 * @param pool the pool itself: a {@link TransactionJoiningDataSource} passed in is replaced by its pool, so
 *     the component joins the same transactions as the idempotency store on that pool
 * @param engine the database engine
 * @param forceReadCommitted whether the component must set READ COMMITTED on its own transactions
 * @param maxStatementBytes the largest statement the server accepts ({@code max_allowed_packet} on MariaDB
 *     and MySQL), or 0 where the engine sets no such limit
 */
public record DatabaseProbe(DataSource pool, DatabaseEngine engine, boolean forceReadCommitted,
        long maxStatementBytes) {

    /**
     * What every component's builder does: probes {@code dataSource} and, if {@code migrate}, creates or
     * upgrades the library's tables.
     *
     * @param component who asks, for messages, such as {@code "JdbcOutbox"}; passwords in it are redacted
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the database is not one the library supports, or the migration fails
     */
    public static DatabaseProbe prepare(DataSource dataSource, String component, boolean migrate) {
        DatabaseProbe probe = of(dataSource, component);
        if (migrate) {
            IdempotencySchema.migrate(probe.pool(), probe.engine());
        }
        return probe;
    }

    /** The SQL of the engine. */
    public SqlDialect dialect() {
        return SqlDialect.of(engine, maxStatementBytes);
    }

    /** The transactions a component opens for itself on the pool, at READ COMMITTED. */
    public LocalTransactions transactions() {
        return new LocalTransactions(pool, forceReadCommitted);
    }

    /**
     * Probes {@code dataSource}.
     *
     * @param component who asks, for messages, such as {@code "JdbcOutbox"}; passwords in it are redacted
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the database is not one the library supports, or a version too old
     */
    public static DatabaseProbe of(DataSource dataSource, String component) {
        Objects.requireNonNull(dataSource, "dataSource");
        DataSource pool = dataSource instanceof TransactionJoiningDataSource joining ? joining.pool() : dataSource;
        String described = Redaction.redact(component);
        try (Connection connection = pool.getConnection()) {
            DatabaseEngine engine = DatabaseEngine.fromProductName(connection.getMetaData().getDatabaseProductName());
            long maxStatementBytes = 0;
            if (engine == DatabaseEngine.H2) {
                warnAboutDelayedWrites(connection, described);
                warnAboutH2CheckConstraints(connection.getMetaData().getDatabaseProductVersion(), described);
            } else if (engine == DatabaseEngine.MARIADB || engine == DatabaseEngine.MYSQL) {
                ServerVersion server = ServerVersion.of(connection);
                engine = server.engine();
                server.requireSupported(described);
                maxStatementBytes = server.maxAllowedPacket();
            }
            return new DatabaseProbe(pool, engine,
                    connection.getTransactionIsolation() != Connection.TRANSACTION_READ_COMMITTED, maxStatementBytes);
        } catch (SQLException e) {
            // A pool's description may quote its URL (H2's JdbcDataSource does); translate redacts it.
            throw SqlErrors.translate("connecting " + described + " to its database (" + pool + ")", e);
        }
    }

    /**
     * H2 2.4 breaks a table's CHECK constraints once the connection that created the table is closed: every
     * later insert fails with "Check constraint invalid" (fixed in 2.5.252; 2.3.232 does not have it). The
     * library's tables have CHECK constraints and are created on a pooled connection, which the pool retires
     * sooner or later, so on H2 2.4 inserts start failing, typically after a restart of an in-memory database's
     * application or after the pool's maximum connection lifetime. Spring Boot 4.0 manages H2 2.4.240.
     */
    static void warnAboutH2CheckConstraints(String version, String component) {
        if (version != null && version.startsWith("2.4.")) {
            LOG.log(Level.WARNING, component + " runs on H2 " + version + ", which breaks CHECK constraints once the "
                    + "connection that created their table is closed; inserts into the library's tables then fail. "
                    + "Use H2 2.5.252 or later (with Spring Boot 4.0, set the property h2.version).");
        }
    }

    /**
     * An H2 file database writes its commits up to {@code WRITE_DELAY} ms (500 by default) after they return:
     * a crash in that window loses effects whose clients were already answered, together with the outcomes
     * that would have made their retries replays. That is the application's setting to choose, so it is a
     * warning, not a refusal.
     */
    private static void warnAboutDelayedWrites(Connection connection, String component) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS "
                        + "WHERE SETTING_NAME = 'WRITE_DELAY'")) {
            if (rs.next() && Integer.parseInt(rs.getString(1).trim()) > 0) {
                LOG.log(Level.WARNING, component + " runs on an H2 database that writes commits up to "
                        + rs.getString(1).trim() + " ms after they return (WRITE_DELAY): a crash in that time loses "
                        + "effects whose clients were answered, and their stored outcomes. Add ;WRITE_DELAY=0 to "
                        + "the JDBC URL.");
            }
        }
    }

    /**
     * A MariaDB or MySQL server as it describes itself. The driver's product name cannot tell them apart: MySQL
     * Connector/J calls every server "MySQL", and a MariaDB server announces itself to it as "5.5.5-10.11...".
     * {@code VERSION()} says "MariaDB" on MariaDB.
     */
    record ServerVersion(String version, long maxAllowedPacket) {

        static ServerVersion of(Connection connection) throws SQLException {
            try (Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT VERSION(), @@max_allowed_packet")) {
                rs.next();
                return new ServerVersion(rs.getString(1), rs.getLong(2));
            }
        }

        DatabaseEngine engine() {
            return version.toLowerCase(java.util.Locale.ROOT).contains("mariadb") ? DatabaseEngine.MARIADB
                    : DatabaseEngine.MYSQL;
        }

        /**
         * The store claims with {@code FOR UPDATE NOWAIT} and purges with {@code SKIP LOCKED}: MariaDB has both
         * since 10.6, MySQL since 8.0.1.
         */
        void requireSupported(String component) {
            boolean mariadb = engine() == DatabaseEngine.MARIADB;
            int[] least = mariadb ? new int[] {10, 6, 0} : new int[] {8, 0, 1};
            int[] have = numbers(version);
            for (int i = 0; i < 3; i++) {
                if (have[i] != least[i]) {
                    if (have[i] > least[i]) {
                        return;
                    }
                    throw new StoreException(component + " needs " + (mariadb ? "MariaDB 10.6" : "MySQL 8.0.1")
                            + " or later (for FOR UPDATE NOWAIT and SKIP LOCKED); the server is " + version);
                }
            }
        }

        private static int[] numbers(String version) {
            int[] numbers = new int[3];
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)").matcher(version);
            if (m.find()) {
                for (int i = 0; i < 3; i++) {
                    numbers[i] = Integer.parseInt(m.group(i + 1));
                }
            }
            return numbers;
        }
    }

    private static final System.Logger LOG = System.getLogger(DatabaseProbe.class.getName());
}
