package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The server the benchmarks run against, PostgreSQL or (for the {@code http} part) MariaDB: a fresh schema
 * on PostgreSQL, a fresh database on MariaDB ({@code bench_} and random hex), which {@link #close()} drops; a
 * HikariCP pool whose connections work in it; and a separate monitoring connection that reads the server's
 * commit counters.
 *
 * <p>On PostgreSQL commit counts come from {@code pg_stat_database}, which every backend updates only when it
 * flushes its pending statistics: at the end of a transaction at most once a second (otherwise ten seconds
 * after going idle), and only if the transaction touched a table (PostgreSQL 15 skips the flush when nothing
 * but the transaction counters is pending, so a {@code SELECT 1} alone never reports). {@link #settle()}
 * therefore waits past that second and runs one transaction that reads a table on every pooled connection,
 * so that every commit of a measurement window is counted in it; the transactions that this adds, and those
 * of other sessions on the same database, are what an idle window measures and the benchmark subtracts.
 *
 * <p>On MariaDB they come from {@code SHOW GLOBAL STATUS}, which sums every session's counters as they
 * stand, for the whole server: {@code Com_commit} and {@code Com_rollback} count {@code COMMIT} and
 * {@code ROLLBACK} statements (a statement in auto-commit mode commits without one, and is not counted
 * there), {@code Handler_commit} every statement's commit inside the engine, reads included. Other sessions
 * on the server count too: the idle window measures them, as on PostgreSQL.
 */
final class BenchDatabase implements AutoCloseable {

    /** The server the benchmarks expect, as the project's tests and CI use it. */
    static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    /** The engines the benchmarks know, and what differs between them here. */
    enum Engine {
        /** PostgreSQL: every part. */
        POSTGRESQL("PostgreSQL", "PostgreSQL backends"),
        /** MariaDB, through MariaDB Connector/J: the {@code http} part. */
        MARIADB("MariaDB", "MariaDB server (whole process)");

        private final String displayName;
        private final String serverCpuLabel;

        Engine(String displayName, String serverCpuLabel) {
            this.displayName = displayName;
            this.serverCpuLabel = serverCpuLabel;
        }

        /** The engine's name, as the report prints it. */
        String displayName() {
            return displayName;
        }

        /** What the server's share of the CPU time is the time of, as the report's column names it. */
        String serverCpuLabel() {
            return serverCpuLabel;
        }
    }

    private static final DateTimeFormatter UTC_TEXT = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSSSSS");

    private final Engine engine;
    private final String jdbcUrl;
    private final String schema;
    private final Connection monitor;
    private final HikariDataSource pool;
    private final List<String> databases = new ArrayList<>();

    private BenchDatabase(Engine engine, String jdbcUrl, String schema, Connection monitor, HikariDataSource pool) {
        this.engine = engine;
        this.jdbcUrl = jdbcUrl;
        this.schema = schema;
        this.monitor = monitor;
        this.pool = pool;
    }

    /**
     * Connects, creates a fresh schema (PostgreSQL) or database (MariaDB) and opens a pool of
     * {@code poolSize} connections in it.
     *
     * @throws SetupFailure if the server cannot be reached or is neither PostgreSQL nor MariaDB: the
     *     benchmark has nothing to measure without it and must not pretend otherwise
     */
    static BenchDatabase open(String jdbcUrl, int poolSize) {
        Connection monitor;
        try {
            monitor = DriverManager.getConnection(jdbcUrl);
        } catch (SQLException e) {
            throw new SetupFailure("Cannot connect to the database at " + jdbcUrl + " (" + e.getMessage()
                    + "). The benchmarks need a running server: start it, or pass --jdbc-url.", e);
        }
        String schema = "bench_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        Engine engine;
        try {
            String product = monitor.getMetaData().getDatabaseProductName();
            engine = switch (product) {
                case "PostgreSQL" -> Engine.POSTGRESQL;
                case "MariaDB" -> Engine.MARIADB;
                default -> throw new SetupFailure("The benchmarks measure PostgreSQL, or MariaDB through "
                        + "a jdbc:mariadb: URL, but " + jdbcUrl + " is " + product, null);
            };
            try (Statement st = monitor.createStatement()) {
                st.execute(engine == Engine.POSTGRESQL ? "CREATE SCHEMA " + schema
                        : "CREATE DATABASE " + schema + " CHARACTER SET utf8mb4");
            }
        } catch (SQLException e) {
            closeQuietly(monitor);
            throw new IllegalStateException("Cannot create a schema for the benchmarks in " + jdbcUrl + ": "
                    + e.getMessage(), e);
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("bench");
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(poolSize);
        if (engine == Engine.POSTGRESQL) {
            config.setJdbcUrl(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
            // Names the pool's backends in pg_stat_activity, so their CPU time can be found.
            config.addDataSourceProperty("ApplicationName", schema);
        } else {
            config.setJdbcUrl(withDatabase(jdbcUrl, schema));
        }
        BenchDatabase database = new BenchDatabase(engine, jdbcUrl, schema, monitor, new HikariDataSource(config));
        try (Connection c = database.pool.getConnection(); Statement st = c.createStatement()) {
            // The demo's posts table (examples/.../db/standard and db/mysql V1__create_posts.sql), which every
            // scenario's handler fills.
            st.execute(engine == Engine.POSTGRESQL
                    ? "CREATE TABLE posts (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                            + "account_id VARCHAR(200) NOT NULL, content VARCHAR(10000) NOT NULL, "
                            + "created_at TIMESTAMP WITH TIME ZONE NOT NULL)"
                    : "CREATE TABLE posts (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                            + "account_id VARCHAR(200) NOT NULL, content VARCHAR(10000) NOT NULL, "
                            + "created_at DATETIME(6) NOT NULL) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 "
                            + "COLLATE utf8mb4_bin");
            st.execute("CREATE INDEX posts_account_id_idx ON posts (account_id, id)");
        } catch (SQLException e) {
            database.close();
            throw new IllegalStateException("Cannot create the posts table: " + e.getMessage(), e);
        }
        return database;
    }

    /** {@code url} with the database of its path replaced by {@code database}. */
    private static String withDatabase(String url, String database) {
        int hosts = url.indexOf("//");
        int path = url.indexOf('/', hosts + 2);
        int query = url.indexOf('?');
        String base = path < 0 || (query >= 0 && path > query) ? (query < 0 ? url : url.substring(0, query))
                : url.substring(0, path);
        return base + "/" + database + (query < 0 ? "" : url.substring(query));
    }

    Engine engine() {
        return engine;
    }

    /**
     * {@code instant} as a parameter for {@code posts.created_at}: a UTC {@code OffsetDateTime} on PostgreSQL,
     * UTC text on MariaDB, whose driver would shift an {@code OffsetDateTime} into the JVM's zone.
     */
    Object timestamp(Instant instant) {
        return engine == Engine.POSTGRESQL ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC)
                : UTC_TEXT.format(LocalDateTime.ofInstant(instant, ZoneOffset.UTC));
    }

    HikariDataSource pool() {
        return pool;
    }

    String schema() {
        return schema;
    }

    /** The server's {@code version()} string. */
    String serverVersion() throws SQLException {
        return queryString("SELECT version()");
    }

    /** The server settings that bear on the cost of a commit, as the report lists them. */
    String settings() throws SQLException {
        if (engine == Engine.POSTGRESQL) {
            return "shared_buffers " + queryString("SHOW shared_buffers") + ", synchronous_commit "
                    + queryString("SHOW synchronous_commit") + ", wal_sync_method "
                    + queryString("SHOW wal_sync_method") + ", autovacuum " + queryString("SHOW autovacuum");
        }
        return "innodb_flush_log_at_trx_commit " + queryString("SELECT @@innodb_flush_log_at_trx_commit")
                + ", innodb_buffer_pool_size " + queryString("SELECT @@innodb_buffer_pool_size") + ", log_bin "
                + queryString("SELECT @@log_bin") + ", transaction_isolation "
                + queryString("SELECT @@tx_isolation");
    }

    /**
     * Commits and rollbacks so far: of the whole database, as far as backends have reported them, on
     * PostgreSQL; of the whole server, with its statement commits, on MariaDB.
     */
    TransactionCounts transactionCounts() throws SQLException {
        if (engine == Engine.MARIADB) {
            long commits = 0;
            long rollbacks = 0;
            long statementCommits = 0;
            try (Statement st = monitor.createStatement(); ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS "
                    + "WHERE Variable_name IN ('Com_commit', 'Com_rollback', 'Handler_commit')")) {
                while (rs.next()) {
                    switch (rs.getString(1)) {
                        case "Com_commit" -> commits = rs.getLong(2);
                        case "Com_rollback" -> rollbacks = rs.getLong(2);
                        default -> statementCommits = rs.getLong(2);
                    }
                }
            }
            return new TransactionCounts(commits, rollbacks, statementCommits);
        }
        try (Statement st = monitor.createStatement();
                ResultSet rs = st.executeQuery("SELECT xact_commit, xact_rollback FROM pg_stat_database "
                        + "WHERE datname = current_database()")) {
            rs.next();
            return new TransactionCounts(rs.getLong(1), rs.getLong(2), 0);
        }
    }

    /**
     * Makes every pooled backend report its statistics: waits until a second has passed since the last
     * request, then runs one short transaction that reads a table on each connection of the pool at once.
     */
    void settle() throws SQLException, InterruptedException {
        if (engine == Engine.MARIADB) {
            return; // its status counters are summed from the sessions' own as they stand
        }
        Thread.sleep(1100);
        int total = pool.getHikariPoolMXBean().getTotalConnections();
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < total; i++) {
                held.add(pool.getConnection());
            }
            for (Connection c : held) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT count(*) FROM posts WHERE id = -1");
                }
            }
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    /**
     * Process ids of the pool's backends (all of them: the pool is filled at start and kept full); on
     * MariaDB, whose sessions are threads without a name to find them by here, the server's process id.
     */
    List<Long> backendPids() throws SQLException {
        if (engine == Engine.MARIADB) {
            try {
                return List.of(Long.parseLong(Files.readString(Path.of(queryString("SELECT @@pid_file"))).trim()));
            } catch (IOException | NumberFormatException e) {
                return List.of(); // a server on another machine: its CPU time cannot be read here
            }
        }
        try (PreparedStatement ps = monitor.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return CpuMeter.pids(rs);
            }
        }
    }

    /**
     * Creates a fresh PostgreSQL database named after the benchmark's schema and {@code suffix}, which
     * {@link #close()} drops, and returns its name. A database of its own has counters of its own in
     * {@code pg_stat_database}: an application started on it is the only one counted there.
     */
    String createDatabase(String suffix) throws SQLException {
        if (engine != Engine.POSTGRESQL) {
            throw new IllegalStateException("Databases of their own are made on PostgreSQL only");
        }
        String name = schema + "_" + suffix;
        try (Statement st = monitor.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        databases.add(name);
        return name;
    }

    /** The benchmark's JDBC URL with {@code database} in place of its own database. */
    String jdbcUrl(String database) {
        return withDatabase(jdbcUrl, database);
    }

    /** A new connection to {@code database} (a {@link #createDatabase} one), which the caller closes. */
    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    /** Commits and rollbacks so far in {@code database} (PostgreSQL), as far as its backends have reported them. */
    TransactionCounts transactionCounts(String database) throws SQLException {
        try (PreparedStatement ps = monitor.prepareStatement("SELECT xact_commit, xact_rollback FROM pg_stat_database "
                + "WHERE datname = ?")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new TransactionCounts(rs.getLong(1), rs.getLong(2), 0);
            }
        }
    }

    /** Process ids of every backend connected to {@code database} (PostgreSQL). */
    List<Long> backendPids(String database) throws SQLException {
        try (PreparedStatement ps = monitor.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE datname = ? AND backend_type = 'client backend'")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                return CpuMeter.pids(rs);
            }
        }
    }

    /** Runs {@code sql} on the monitoring connection (outside the pool, in the benchmark's schema). */
    void execute(String sql) throws SQLException {
        try (Statement st = monitor.createStatement()) {
            useSchema(st);
            st.execute(sql);
        }
    }

    /** A {@code bigint} that {@code sql} selects, run on the monitoring connection in the benchmark's schema. */
    long queryLong(String sql) throws SQLException {
        try (Statement st = monitor.createStatement()) {
            useSchema(st);
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The monitoring connection, for statements that need parameters; it works in the benchmark's schema. */
    PreparedStatement prepare(String sql) throws SQLException {
        try (Statement st = monitor.createStatement()) {
            useSchema(st);
        }
        return monitor.prepareStatement(sql);
    }

    private void useSchema(Statement st) throws SQLException {
        st.execute(engine == Engine.POSTGRESQL ? "SET search_path TO " + schema : "USE " + schema);
    }

    private String queryString(String sql) throws SQLException {
        try (Statement st = monitor.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Closes the pool and drops the schema with everything in it, and every database {@link #createDatabase} made. */
    @Override
    public void close() {
        pool.close();
        for (String database : databases) {
            try (Statement st = monitor.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            } catch (SQLException e) {
                System.err.println("Could not drop the benchmark database " + database + ": " + e.getMessage());
            }
        }
        try (Statement st = monitor.createStatement()) {
            st.execute(engine == Engine.POSTGRESQL ? "DROP SCHEMA IF EXISTS " + schema + " CASCADE"
                    : "DROP DATABASE IF EXISTS " + schema);
        } catch (SQLException e) {
            System.err.println("Could not drop the benchmark schema " + schema + ": " + e.getMessage());
        } finally {
            closeQuietly(monitor);
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Nothing left to release.
        }
    }

    /**
     * Cumulative transaction counters: of one database on PostgreSQL; of the server on MariaDB, where
     * {@code statementCommits} is {@code Handler_commit} (0 on PostgreSQL, which has no such counter).
     */
    record TransactionCounts(long commits, long rollbacks, long statementCommits) {
        TransactionCounts minus(TransactionCounts earlier) {
            return new TransactionCounts(commits - earlier.commits, rollbacks - earlier.rollbacks,
                    statementCommits - earlier.statementCommits);
        }
    }
}
