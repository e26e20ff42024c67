package dev.idempotency.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Two real PostgreSQL servers on this machine, a primary and a streaming-replication standby, for tests of
 * what survives when the primary dies and the standby takes over.
 *
 * <pre>{@code
 * @RegisterExtension
 * final PostgresFailoverExtension pg = PostgresFailoverExtension.create(Replication.SYNCHRONOUS);
 *
 * store = JdbcIdempotencyStore.builder().jdbcUrl(pg.jdbcUrl()).build();  // both hosts, primary wanted
 * ...                                                                     // load
 * pg.killPrimary();                                                       // SIGKILL, as a crash
 * pg.promoteStandby();                                                    // the standby is the primary now
 * }</pre>
 *
 * <p>Registered in an instance field, the pair is made before each test and removed after it; in a static
 * field, once for the class. Making one takes about two seconds: {@code initdb} of the primary under a new
 * temporary directory, {@code pg_basebackup -R} of it into the standby, both started on free ports of
 * 127.0.0.1 with trust authentication for the user {@value #USER}, and a wait until the standby streams
 * (and, for {@link Replication#SYNCHRONOUS}, until the primary counts it as its synchronous standby). At
 * the end every server process the extension started is killed and the directory is deleted, whether the
 * test passed or not, and also when the JVM exits early.
 *
 * <p>The server binaries ({@code initdb}, {@code pg_ctl}, {@code pg_basebackup}) are taken from the
 * directory named by the environment variable {@value #ENV_PG_BIN} or the system property
 * {@value #PG_BIN_PROPERTY}, otherwise from the newest {@code /usr/lib/postgresql/<version>/bin}, otherwise
 * from the {@code PATH}. Without them the extension fails with {@link ExtensionConfigurationException}: it
 * never skips. PostgreSQL refuses to run as root, so a JVM running as root runs the binaries as the
 * operating-system user {@value #OS_USER} (through {@code runuser}) and hands it the temporary directory.
 *
 * <p>Written for Linux: it signals the servers' processes and reads their state under {@code /proc}.
 * Needs the PostgreSQL JDBC driver ({@code org.postgresql:postgresql}) on the test class path. When a
 * test fails, the last lines of both servers' logs are added to its failure. Not thread-safe: one test
 * drives one pair.
 */
public final class PostgresFailoverExtension implements AutoCloseable, BeforeAllCallback, AfterAllCallback,
        BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler {

    /** How the primary waits for the standby before it confirms a commit. */
    public enum Replication {
        /**
         * {@code synchronous_standby_names = 'standby'} with {@code synchronous_commit = on}: a commit is
         * confirmed once the standby has written it to disk, so a promoted standby has every commit a client
         * was told about.
         */
        SYNCHRONOUS,
        /**
         * No synchronous standby: a commit is confirmed once it is on the primary's disk, and the standby
         * follows as fast as it can; commits confirmed just before the primary dies may be missing on it.
         */
        ASYNCHRONOUS
    }

    /** The environment variable naming the directory of the PostgreSQL server binaries. */
    public static final String ENV_PG_BIN = "IDEMPOTENCY_TEST_PG_BIN";

    /** The system property naming the directory of the PostgreSQL server binaries. */
    public static final String PG_BIN_PROPERTY = "idempotency.test.pg-bin";

    /** The database user, with trust authentication on 127.0.0.1. */
    public static final String USER = "postgres";

    /** The operating-system user the servers run as when the JVM runs as root. */
    public static final String OS_USER = "postgres";

    /** The standby's name, which {@code synchronous_standby_names} lists in synchronous mode. */
    static final String STANDBY_NAME = "standby";

    private static final List<String> BINARIES = List.of("initdb", "pg_ctl", "pg_basebackup");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REPLICATION_TIMEOUT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 30;

    private final Replication replication;
    private final ExtensionLifecycle lifecycle = new ExtensionLifecycle();
    private Running running;

    private PostgresFailoverExtension(Replication replication) {
        this.replication = Objects.requireNonNull(replication, "replication");
    }

    /** A pair replicating as {@code replication} says. */
    public static PostgresFailoverExtension create(Replication replication) {
        return new PostgresFailoverExtension(replication);
    }

    /** How this pair replicates. */
    public Replication replication() {
        return replication;
    }

    /**
     * Makes and starts the pair outside JUnit's life cycle; the caller must {@link #close()} it.
     *
     * @return this, running
     * @throws IllegalStateException if it is running already
     * @throws ExtensionConfigurationException if the binaries cannot be found or the servers cannot start
     */
    public synchronized PostgresFailoverExtension open() {
        if (running != null) {
            throw new IllegalStateException("the primary and standby are running already");
        }
        running = Running.start(replication);
        return this;
    }

    /**
     * The pgjdbc multi-host URL of both servers, primary first, with {@code targetServerType=primary}: the
     * driver connects to whichever of them accepts writes, so it follows a promotion by itself.
     */
    public String jdbcUrl() {
        Running r = running();
        return "jdbc:postgresql://127.0.0.1:" + r.first.port + ",127.0.0.1:" + r.second.port + "/postgres?user="
                + USER + "&targetServerType=primary";
    }

    /** The URL of the server that is the primary now (the standby, once promoted), and of it alone. */
    public String primaryJdbcUrl() {
        return running().primary().jdbcUrl();
    }

    /** The port of the server that is the primary now. */
    public int primaryPort() {
        return running().primary().port;
    }

    /** The port of the server that is the standby now. */
    public int standbyPort() {
        return running().standby().port;
    }

    /** The temporary directory holding both servers' data and logs. */
    Path directory() {
        return running().directory;
    }

    /**
     * Kills the primary as a crash would: SIGKILL to its postmaster and, at the same moment, to every process
     * of that server (the backends, the WAL writer, the WAL sender), so no backend finishes a commit after
     * the postmaster is gone. Returns once they are all dead. The standby is left as it is: waiting for the
     * primary, read-only, until {@link #promoteStandby()}.
     *
     * @throws IllegalStateException if there is no live primary
     */
    public void killPrimary() {
        Running r = running();
        r.primary().kill();
        r.stalledSender = 0;
    }

    /**
     * Stops the primary's WAL sender (SIGSTOP), so that the standby receives nothing more, as across a
     * broken network, until {@link #resumeReplication()} or until the primary is killed. With
     * {@link Replication#SYNCHRONOUS} replication the primary's commits wait for the standby meanwhile; with
     * {@link Replication#ASYNCHRONOUS} the primary confirms commits that never leave it. (Stopping the
     * standby's WAL receiver instead would not do: the primary would go on sending into the connection's
     * buffers, and the receiver would read it all when it runs again.)
     *
     * @throws IllegalStateException if no WAL sender serves the standby, or replication is stalled already
     */
    public void stallReplication() {
        running().stall();
    }

    /** Lets a {@linkplain #stallReplication() stalled} WAL sender run again (SIGCONT), if its primary lives. */
    public void resumeReplication() {
        running().resume();
    }

    /**
     * Promotes the standby ({@code pg_ctl promote}) and returns once it accepts writes. From then on it is
     * {@linkplain #primaryPort() the primary}, and there is no standby until {@link #rebuildStandby()}.
     *
     * @throws IllegalStateException if the primary is still alive, or there is no standby
     */
    public void promoteStandby() {
        running().promote();
    }

    /**
     * Makes a new standby of the current primary in place of the dead one, on its port, and waits until it
     * streams (and, in synchronous mode, until the primary waits for it): the pair is ready for another
     * failover, the other way round. The multi-host {@link #jdbcUrl()} does not change.
     *
     * @throws IllegalStateException if the old primary is still alive or the standby was not promoted
     */
    public void rebuildStandby() {
        running().rebuildStandby();
    }

    /** Stops both servers (SIGKILL: their data is thrown away) and deletes the directory. Idempotent. */
    @Override
    public synchronized void close() {
        Running r = running;
        running = null;
        if (r != null) {
            r.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (lifecycle.beforeAll()) {
            open();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (lifecycle.afterAll()) {
            close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (lifecycle.beforeEach()) {
            open();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (lifecycle.afterEach()) {
            close();
        }
    }

    /** Adds the tail of both servers' logs to a failing test's report, before the directory goes. */
    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        Running r = running;
        if (r != null) {
            failure.addSuppressed(new ServerLogs(r.logTails()));
        }
        throw failure;
    }

    private synchronized Running running() {
        if (running == null) {
            throw new IllegalStateException("the primary and standby are not running: register the extension"
                    + " with @RegisterExtension or call open()");
        }
        return running;
    }

    /** Where the server binaries are, checked: every one of {@link #BINARIES} is there and executable. */
    static Path locateBinaries(String configured, Path installRoot, String path) {
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured.trim());
            List<String> missing = BINARIES.stream().filter(b -> !Files.isExecutable(dir.resolve(b))).toList();
            if (!missing.isEmpty()) {
                throw new ExtensionConfigurationException(ENV_PG_BIN + " / -D" + PG_BIN_PROPERTY + " names " + dir
                        + ", which lacks " + String.join(", ", missing));
            }
            return dir;
        }
        List<Path> candidates = new ArrayList<>();
        if (Files.isDirectory(installRoot)) {
            try (Stream<Path> versions = Files.list(installRoot)) {
                versions.map(v -> v.resolve("bin"))
                        .sorted(Comparator.comparing(PostgresFailoverExtension::majorVersion).reversed())
                        .forEach(candidates::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    candidates.add(Path.of(entry));
                }
            }
        }
        for (Path dir : candidates) {
            if (BINARIES.stream().allMatch(b -> Files.isExecutable(dir.resolve(b)))) {
                return dir;
            }
        }
        throw new ExtensionConfigurationException("No PostgreSQL server binaries (" + String.join(", ", BINARIES)
                + ") for the failover tests: looked in " + installRoot + "/<version>/bin and on the PATH. Install"
                + " the PostgreSQL server, or set " + ENV_PG_BIN + " (or -D" + PG_BIN_PROPERTY + ") to the directory"
                + " holding them.");
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A pair that has been made, until it is removed. */
    private static final class Running {

        final Replication replication;
        final Path bin;
        final Path directory;
        final boolean asRoot;
        final Thread cleanUpAtExit;
        /** The servers on the first and second port of the URL; which is the primary changes on failover. */
        final Server first;
        final Server second;
        Server primary;

        private Running(Replication replication, Path bin, Path directory, boolean asRoot) {
            this.replication = replication;
            this.bin = bin;
            this.directory = directory;
            this.asRoot = asRoot;
            int[] ports = freePorts();
            this.first = new Server(this, "a", ports[0]);
            this.second = new Server(this, "b", ports[1]);
            this.primary = first;
            this.cleanUpAtExit = new Thread(this::close, "postgres-failover-clean-up");
        }

        static Running start(Replication replication) {
            requireDriver();
            Path bin = locateBinaries(System.getenv(ENV_PG_BIN) != null ? System.getenv(ENV_PG_BIN)
                    : System.getProperty(PG_BIN_PROPERTY), Path.of("/usr/lib/postgresql"), System.getenv("PATH"));
            boolean asRoot = "root".equals(System.getProperty("user.name"));
            Path directory;
            try {
                directory = Files.createTempDirectory("idempotency-pg-failover-");
                if (asRoot) {
                    // initdb, run as the server's user, creates the data directories inside; root deletes all.
                    UserPrincipal owner = directory.getFileSystem().getUserPrincipalLookupService()
                            .lookupPrincipalByName(OS_USER);
                    Files.setOwner(directory, owner);
                }
            } catch (IOException e) {
                throw new ExtensionConfigurationException("Could not make a directory owned by the operating-system"
                        + " user " + OS_USER + " for the PostgreSQL servers: " + e, e);
            }
            Running r = new Running(replication, bin, directory, asRoot);
            Runtime.getRuntime().addShutdownHook(r.cleanUpAtExit);
            try {
                r.first.initdb();
                r.first.start();
                r.second.baseBackupOf(r.first);
                r.second.start();
                r.attachStandby();
                return r;
            } catch (RuntimeException | Error e) {
                String logs = r.logTails();
                r.close();
                if (e instanceof ExtensionConfigurationException) {
                    e.addSuppressed(new ServerLogs(logs));
                    throw e;
                }
                throw new ExtensionConfigurationException("Could not set up a PostgreSQL primary and standby with "
                        + bin + ": " + e.getMessage() + "\n" + logs, e);
            }
        }

        Server primary() {
            if (!primary.alive()) {
                throw new IllegalStateException("the primary (port " + primary.port + ") is dead: promote the"
                        + " standby first");
            }
            return primary;
        }

        Server standby() {
            Server standby = primary == first ? second : first;
            if (!standby.alive()) {
                throw new IllegalStateException("there is no standby now");
            }
            return standby;
        }

        /** The primary's WAL sender while it is stopped by {@link #stall()}, or 0. */
        long stalledSender;

        void stall() {
            if (stalledSender != 0) {
                throw new IllegalStateException("replication is stalled already");
            }
            Server sending = primary();
            String pid;
            try {
                pid = sending.queryOne("SELECT pid FROM pg_stat_replication WHERE application_name = '"
                        + STANDBY_NAME + "'");
            } catch (SQLException e) {
                throw new IllegalStateException("could not find the primary's WAL sender: " + e.getMessage(), e);
            }
            if (pid == null) {
                throw new IllegalStateException("no WAL sender on port " + sending.port + " serves the standby");
            }
            run(COMMAND_TIMEOUT, "kill", "-STOP", pid);
            stalledSender = Long.parseLong(pid);
        }

        void resume() {
            if (stalledSender != 0 && primary.alive()) {
                run(COMMAND_TIMEOUT, "kill", "-CONT", String.valueOf(stalledSender));
            }
            stalledSender = 0;
        }

        void promote() {
            if (primary.alive()) {
                throw new IllegalStateException("the primary (port " + primary.port + ") is alive: kill it first,"
                        + " or two servers would accept writes");
            }
            Server standby = standby();
            run(COMMAND_TIMEOUT, bin.resolve("pg_ctl").toString(), "promote", "-w", "-t", "60", "-D",
                    standby.dataDirectory().toString());
            awaitQuery(standby, "SELECT NOT pg_is_in_recovery()", "t", "the promoted standby accepts writes");
            primary = standby;
        }

        void rebuildStandby() {
            Server dead = primary == first ? second : first;
            if (dead.alive()) {
                throw new IllegalStateException("the server on port " + dead.port + " is alive: rebuild the standby"
                        + " after a failover");
            }
            primary();
            dead.deleteData();
            dead.baseBackupOf(primary);
            dead.start();
            attachStandby();
        }

        /**
         * Waits until the standby streams from the primary; in synchronous mode, then names it in
         * {@code synchronous_standby_names} and waits until the primary waits for it. Naming it only now,
         * on the primary alone, keeps it out of the standby's own settings: a promoted standby that named a
         * synchronous standby would wait for one that does not exist, and never confirm a commit.
         */
        void attachStandby() {
            Server standby = standby();
            String replicating = "SELECT state || '/' || sync_state FROM pg_stat_replication WHERE application_name = '"
                    + STANDBY_NAME + "'";
            awaitQuery(primary, replicating, "streaming/async", "the standby on port " + standby.port + " streams");
            if (replication == Replication.SYNCHRONOUS) {
                primary.execute("ALTER SYSTEM SET synchronous_standby_names = '" + STANDBY_NAME + "'");
                primary.execute("SELECT pg_reload_conf()");
                awaitQuery(primary, replicating, "streaming/sync", "the primary waits for the standby on port "
                        + standby.port + " before it confirms a commit");
            }
        }

        /** Runs a command as the servers' user, logging to the directory; fails with its output otherwise. */
        void run(Duration timeout, String... command) {
            List<String> full = new ArrayList<>();
            if (asRoot) {
                full.addAll(List.of("runuser", "-u", OS_USER, "--"));
            }
            full.addAll(List.of(command));
            Path output = directory.resolve("command.log");
            try {
                Process process = new ProcessBuilder(full).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.to(output.toFile())).start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    String waiting = describe(process.toHandle());
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", full) + " did not finish within " + timeout
                            + " (" + waiting + "): " + Files.readString(output));
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", full) + " failed (exit status "
                            + process.exitValue() + "): " + Files.readString(output));
                }
            } catch (IOException e) {
                throw new ExtensionConfigurationException("Could not run " + String.join(" ", full)
                        + (asRoot ? " (as root, through runuser, so that the server runs as " + OS_USER + ")" : "")
                        + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + String.join(" ", full), e);
            }
        }

        /** A hung command's processes, with what each waits in, for the failure's message. */
        private static String describe(ProcessHandle command) {
            List<String> processes = new ArrayList<>();
            Stream.concat(Stream.of(command), command.descendants()).forEach(p -> {
                String wchan;
                try {
                    wchan = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "wchan")).trim();
                } catch (IOException | RuntimeException e) {
                    wchan = "?";
                }
                processes.add(p.pid() + " " + p.info().command().orElse("?") + " waiting in " + wchan);
            });
            return String.join("; ", processes);
        }

        /** Polls {@code sql} on {@code server} until its one value is {@code expected}, or fails after a while. */
        void awaitQuery(Server server, String sql, String expected, String what) {
            long deadline = System.nanoTime() + REPLICATION_TIMEOUT.toNanos();
            String last = null;
            while (true) {
                try {
                    last = server.queryOne(sql);
                    if (expected.equals(last)) {
                        return;
                    }
                } catch (SQLException e) {
                    last = e.getMessage();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Timed out after " + REPLICATION_TIMEOUT.toSeconds()
                            + " s waiting until " + what + " (" + sql + " gave " + last + ")");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting until " + what, e);
                }
            }
        }

        String logTails() {
            return first.logTail() + "\n" + second.logTail();
        }

        synchronized void close() {
            try {
                first.kill();
            } finally {
                try {
                    second.kill();
                } finally {
                    deleteRecursively(directory);
                    try {
                        Runtime.getRuntime().removeShutdownHook(cleanUpAtExit);
                    } catch (IllegalStateException e) {
                        // The JVM is exiting, and this is the hook.
                    }
                }
            }
        }
    }

    /** One PostgreSQL server: its data directory, log and port, and its processes while it runs. */
    private static final class Server {

        final Running pair;
        final String name;
        final int port;
        /** The postmaster this extension started, or {@code null} when none is running. */
        ProcessHandle postmaster;

        Server(Running pair, String name, int port) {
            this.pair = pair;
            this.name = name;
            this.port = port;
        }

        Path dataDirectory() {
            return pair.directory.resolve(name);
        }

        Path log() {
            return pair.directory.resolve(name + ".log");
        }

        String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=" + USER;
        }

        boolean alive() {
            return postmaster != null && postmaster.isAlive();
        }

        void initdb() {
            pair.run(COMMAND_TIMEOUT, pair.bin.resolve("initdb").toString(), "-D", dataDirectory().toString(),
                    "-U", USER, "-A", "trust", "-E", "UTF8", "--no-instructions");
            // Every setting the pair depends on is written here rather than left to the defaults of the
            // installed version. Durability is left at PostgreSQL's defaults (fsync, full_page_writes): it is
            // what the failover tests examine.
            appendSettings(dataDirectory().resolve("postgresql.conf"), List.of(
                    "listen_addresses = '127.0.0.1'",
                    "port = " + port,
                    // TCP only: a socket path under a long temporary directory could exceed the system's limit.
                    "unix_socket_directories = ''",
                    "max_connections = 100",
                    "wal_level = replica",
                    "max_wal_senders = 4",
                    "wal_keep_size = '256MB'",
                    "hot_standby = on",
                    "synchronous_commit = on",
                    // A promoted standby starts with a checkpoint, spread over minutes by default, and a base
                    // backup of it for the next standby waits for that checkpoint first. Unspread, it takes
                    // a moment; it changes when pages are written, not what a commit guarantees.
                    "checkpoint_completion_target = 0",
                    "logging_collector = off"));
        }

        /** Makes this server a standby of {@code source}: a base backup with its recovery settings ({@code -R}). */
        void baseBackupOf(Server source) {
            pair.run(COMMAND_TIMEOUT, pair.bin.resolve("pg_basebackup").toString(), "-h", "127.0.0.1", "-p",
                    String.valueOf(source.port), "-U", USER, "-D", dataDirectory().toString(), "-R", "-X", "stream",
                    "-c", "fast");
            // postgresql.auto.conf is read last, so these win over what the backup copied from the primary.
            appendSettings(dataDirectory().resolve("postgresql.auto.conf"), List.of(
                    "port = " + port,
                    // The name the primary sees the standby's WAL receiver by (its application_name).
                    "cluster_name = '" + STANDBY_NAME + "'",
                    "synchronous_standby_names = ''"));
        }

        void start() {
            pair.run(COMMAND_TIMEOUT, pair.bin.resolve("pg_ctl").toString(), "start", "-w", "-t", "60", "-D",
                    dataDirectory().toString(), "-l", log().toString());
            try {
                String pid = Files.readAllLines(dataDirectory().resolve("postmaster.pid")).get(0).trim();
                postmaster = ProcessHandle.of(Long.parseLong(pid)).orElseThrow(() -> new IllegalStateException(
                        "the postmaster " + pid + " of " + dataDirectory() + " is not running"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** SIGKILL to the postmaster and every process under it; returns once all are gone. */
        void kill() {
            ProcessHandle main = postmaster;
            if (main == null) {
                return;
            }
            postmaster = null;
            List<ProcessHandle> processes = new ArrayList<>();
            processes.add(main);
            main.descendants().forEach(processes::add);
            processes.forEach(ProcessHandle::destroyForcibly);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (ProcessHandle process : processes) {
                while (!hasExited(process)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("PostgreSQL process " + process.pid() + " survived SIGKILL");
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while killing PostgreSQL", e);
                    }
                }
            }
        }

        /**
         * Whether a process has ended. A killed server process is no child of this JVM, so it stays a zombie
         * (dead, its ports and files released) until whichever process adopted it reaps it, which on some
         * machines takes a second; {@link ProcessHandle#isAlive()} counts a zombie as alive.
         */
        private static boolean hasExited(ProcessHandle process) {
            if (!process.isAlive()) {
                return true;
            }
            try {
                String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
                // The state follows the command name, which is in parentheses and may itself hold any character.
                return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
            } catch (IOException | RuntimeException e) {
                return !process.isAlive();
            }
        }

        void deleteData() {
            deleteRecursively(dataDirectory());
        }

        void execute(String sql) {
            try (Connection c = connect(); Statement st = c.createStatement()) {
                st.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException("\"" + sql + "\" failed on port " + port + ": " + e.getMessage(), e);
            }
        }

        String queryOne(String sql) throws SQLException {
            try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                return rs.next() ? rs.getString(1) : null;
            }
        }

        private Connection connect() throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("connectTimeout", "5");
            return DriverManager.getConnection(jdbcUrl(), properties);
        }

        String logTail() {
            try {
                if (!Files.exists(log())) {
                    return "(no log of the server on port " + port + ")";
                }
                List<String> lines = Files.readAllLines(log(), StandardCharsets.UTF_8);
                List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
                return "the log of the server on port " + port + ", last " + tail.size() + " of " + lines.size()
                        + " lines:\n" + String.join("\n", tail);
            } catch (IOException e) {
                return "(the log of the server on port " + port + " is unreadable: " + e + ")";
            }
        }
    }

    private static void appendSettings(Path file, List<String> settings) {
        try {
            Files.writeString(file, "\n" + String.join("\n", settings) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Two ports free now, held open together while they are found so that they differ. */
    private static int[] freePorts() {
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new int[] {a.getLocalPort(), b.getLocalPort()};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void requireDriver() {
        try {
            Class.forName("org.postgresql.Driver");
        } catch (ClassNotFoundException e) {
            throw new ExtensionConfigurationException("PostgresFailoverExtension needs the PostgreSQL JDBC driver"
                    + " (org.postgresql:postgresql) on the test class path", e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + root, e);
        }
    }

    /** Carries the servers' log tails into a failure's report; its own stack trace would say nothing. */
    private static final class ServerLogs extends Exception {

        private static final long serialVersionUID = 1L;

        ServerLogs(String message) {
            super(message, null, false, false);
        }
    }
}
