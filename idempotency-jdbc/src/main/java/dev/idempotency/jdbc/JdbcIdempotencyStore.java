package dev.idempotency.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.internal.BatchedPurge;
import dev.idempotency.internal.DaemonThreads;
import dev.idempotency.jdbc.internal.ClaimFound;
import dev.idempotency.jdbc.internal.DatabaseProbe;
import dev.idempotency.jdbc.internal.DriverLocator;
import dev.idempotency.jdbc.internal.JdbcClaim;
import dev.idempotency.jdbc.internal.JdbcLeaseClaim;
import dev.idempotency.jdbc.internal.JdbcOptimisticClaim;
import dev.idempotency.jdbc.internal.JdbcUrlSchemes;
import dev.idempotency.jdbc.internal.LocalTransactions;
import dev.idempotency.jdbc.internal.ManagedTransaction;
import dev.idempotency.jdbc.internal.RecordPurge;
import dev.idempotency.jdbc.internal.RedactedThrowable;
import dev.idempotency.jdbc.internal.SqlDialect;
import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.jdbc.internal.Transaction;
import dev.idempotency.jdbc.internal.Transactions;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.store.ExpiredRecordPurger;
import java.sql.Driver;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a PostgreSQL or H2 database, where a claim is a database transaction:
 * the in-progress record, every write the handler makes through {@link #transactionalDataSource()} and
 * the stored outcome commit together, or not at all. A concurrent claim of the same key never waits for
 * that transaction: it is told {@code Busy} at once.
 *
 * <p>It also takes {@linkplain #claimOptimistically optimistic claims} ({@code idempotency.claim=optimistic}),
 * which claim nothing before the handler and insert the completed record just before the commit.
 *
 * <pre>{@code
 * JdbcIdempotencyStore store = JdbcIdempotencyStore.create(pool);      // migrates its table
 * DataSource forHandlers = store.transactionalDataSource();            // give this to your DAOs
 * }</pre>
 *
 * <p>Each open claim holds one pooled connection from the claim until the response is stored, so size
 * the pool for the number of covered requests you serve at once. The store expects the pool's default
 * isolation level, READ COMMITTED, and sets it on its own transactions if the pool uses another (and sets the
 * pool's level back when it returns the connection).
 *
 * <p>The store deletes its expired records in the background, every {@link Builder#purgeInterval purge
 * interval}, on a daemon thread ({@code idempotency-purge}) it runs from {@link Builder#build()} to
 * {@link #close()}: close the store when the application stops, or its thread outlives it. Settings the
 * builder was not given come from the adapter that serves the store, when it passes its own
 * ({@link #adoptPurgeSettings}).
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

    /** The pool size used when the store builds its own pool from a JDBC URL. */
    public static final int DEFAULT_MAXIMUM_POOL_SIZE = 10;

    /**
     * How long a request waits for a connection of a pool the store built, before it is answered 503:
     * shorter than HikariCP's own 30 s default, because an HTTP client waiting that long has given up.
     */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    /** How often expired records are deleted unless configured: every minute, as the filter's default. */
    public static final Duration DEFAULT_PURGE_INTERVAL = IdempotencyConfig.DEFAULT_PURGE_INTERVAL;

    /** Records deleted per purge transaction unless configured, as the filter's default. */
    public static final int DEFAULT_PURGE_BATCH_SIZE = IdempotencyConfig.DEFAULT_PURGE_BATCH_SIZE;

    private final DataSource pool;
    private final OwnedPool ownedPool;
    private final DatabaseEngine engine;
    private final SqlDialect dialect;
    /** The store's own transactions: lease-mode claims and the purge. */
    private final LocalTransactions transactions;
    /** Where transaction-mode claims take their transactions (the claim, the handler's writes, the outcome). */
    private final Transactions claimTransactions;
    private final TransactionJoiningDataSource transactionalDataSource;
    private final RecordPurge purge;

    private JdbcIdempotencyStore(DatabaseProbe probe, OwnedPool ownedPool, Builder builder) {
        this.pool = probe.pool();
        this.ownedPool = ownedPool;
        this.engine = probe.engine();
        this.dialect = probe.dialect();
        this.transactions = probe.transactions();
        this.claimTransactions = builder.claimTransactions == null ? transactions
                : ManagedTransaction.source(builder.claimTransactions, pool, probe.forceReadCommitted());
        this.transactionalDataSource = new TransactionJoiningDataSource(pool);
        this.purge = new RecordPurge(this, builder.purgeInterval, builder.purgeBatchSize, builder.clock,
                builder.listener)
                .start(IdempotencyConfig.ofDefaults());
    }

    /**
     * A store on an existing pool, whose table is created or upgraded now.
     *
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the database is not PostgreSQL or H2, or the migration fails
     */
    public static JdbcIdempotencyStore create(DataSource dataSource) {
        return builder().dataSource(dataSource).build();
    }

    /**
     * A builder, for a store on a JDBC URL (with its own HikariCP pool), on a container's DataSource found
     * by its JNDI name, or without migrations.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The DataSource for the application's handlers: inside an idempotent request it hands out the
     * request's connection, so the handler's writes commit with the stored outcome; elsewhere it is the
     * store's pool. See {@link TransactionJoiningDataSource}.
     */
    public TransactionJoiningDataSource transactionalDataSource() {
        return transactionalDataSource;
    }

    /** The database engine in use. */
    public DatabaseEngine engine() {
        return engine;
    }

    /**
     * Claims the key, in transaction mode as a transaction that stays open for the handler's writes and the
     * outcome, in lease mode as an in-progress record with a lease, committed at once.
     */
    @Override
    public ClaimResult claim(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        try {
            return switch (request.mode()) {
                case TRANSACTION -> claimInTransaction(request);
                case LEASE -> claimLease(request);
            };
        } catch (SQLException e) {
            // The message names no key: the engine logs it, and logs never carry a client's key.
            throw SqlErrors.translate("claiming an idempotency key", e);
        }
    }

    private ClaimResult claimInTransaction(ClaimRequest request) throws SQLException {
        Transaction transaction = claimTransactions.begin();
        boolean handedOver = false;
        try {
            ClaimFound found = dialect.claimInTransaction(transaction, request);
            if (found instanceof ClaimFound.Acquired acquired) {
                handedOver = true;
                return new ClaimResult.Acquired(new JdbcClaim(transaction, dialect, request, acquired));
            }
            return answer(found);
        } finally {
            if (!handedOver) {
                transaction.close();
            }
        }
    }

    private ClaimResult claimLease(ClaimRequest request) throws SQLException {
        try (Transaction transaction = transactions.begin()) {
            ClaimFound found = dialect.claimLease(transaction, request);
            if (found instanceof ClaimFound.Acquired acquired) {
                // The lease is committed at once; the handler runs outside any transaction of ours.
                transaction.commit();
                return new ClaimResult.Acquired(new JdbcLeaseClaim(transactions, dialect, request,
                        acquired.fencingToken()));
            }
            return answer(found);
        }
    }

    /** {@code true}: see {@link #claimOptimistically}. */
    @Override
    public boolean supportsOptimisticClaims() {
        return true;
    }

    /**
     * Begins the request's transaction, without a statement yet (the driver sends {@code BEGIN} with the handler's
     * first one). {@link Claim#complete} inserts the completed record with a plain {@code INSERT} and commits: on
     * PostgreSQL in one round trip, with the key's advisory lock taken first in the same flight (it is what a
     * concurrent default claim of the key holds, so the insert waits for that claim's end); elsewhere the insert
     * and then the commit. A record of the key already there, or written by a transaction that commits while the
     * insert waits for it, fails the insert: everything rolls back and {@link dev.idempotency.spi.KeyTakenException}
     * is thrown. An insert that waits past the engine's lock wait (H2's lock timeout, InnoDB's
     * {@code innodb_lock_wait_timeout}, PostgreSQL's {@code lock_timeout} if set) fails the same way.
     *
     * @throws IllegalArgumentException if {@code request} is a lease-mode claim
     * @throws StoreUnavailableException if no connection can be had
     */
    @Override
    public Claim claimOptimistically(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.mode() != ExecutionMode.TRANSACTION) {
            throw new IllegalArgumentException("An optimistic claim is a transaction-mode claim, not " + request.mode());
        }
        try {
            return new JdbcOptimisticClaim(claimTransactions.begin(), dialect, request);
        } catch (SQLException e) {
            throw SqlErrors.translate("beginning the transaction of an idempotency key", e);
        }
    }

    /** What a claim that did not acquire the key answers. */
    private static ClaimResult answer(ClaimFound found) {
        if (found instanceof ClaimFound.Existing existing) {
            return new ClaimResult.Existing(existing.record());
        }
        return ((ClaimFound.Busy) found).answer();
    }

    /**
     * How many records had expired at {@code now} and are not purged yet, counted up to {@code cap}: the purge's
     * backlog, for gauges and health checks. The count reads at most {@code cap} index entries, so its cost is
     * bounded however far behind the purge is; a result equal to {@code cap} means "at least". Records whose
     * lease is still live are counted although the purge leaves them.
     *
     * @throws IllegalArgumentException if {@code cap} is not positive
     * @throws StoreException if the database failed
     */
    public long expiredRecords(Instant now, long cap) {
        Objects.requireNonNull(now, "now");
        if (cap < 1) {
            throw new IllegalArgumentException("cap must be positive, not " + cap);
        }
        try {
            return transactions.inTransaction(connection -> dialect.countExpired(connection, now, cap));
        } catch (SQLException e) {
            throw SqlErrors.translate("counting expired idempotency records", e);
        }
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, not " + limit);
        }
        try {
            return transactions.inTransaction(connection -> dialect.purge(connection, now, limit));
        } catch (SQLException e) {
            throw SqlErrors.translate("purging expired idempotency records", e);
        }
    }

    /**
     * Takes the purge interval, batch size and clock of {@code config} for each of them that the builder was not
     * given, and purges on that schedule from now on (an interval of zero stops the purge). The filter calls it
     * with its settings ({@code idempotency.purge-interval}, {@code idempotency.purge-batch-size}), so that
     * these keep working where they are set.
     *
     * <p>It also checks that the database can store an outcome of {@code config}'s
     * {@code idempotency.max-response-bytes}: on MariaDB and MySQL a statement larger than the server's
     * {@code max_allowed_packet} is refused.
     *
     * @return {@code true}: this store purges its expired records itself
     * @throws StoreException if the database cannot store outcomes as large as {@code config} allows, saying
     *     which setting to change
     */
    @Override
    public boolean adoptPurgeSettings(IdempotencyConfig config) {
        Objects.requireNonNull(config, "config");
        // The one moment the store sees the adapter's settings: an outcome the database could never store is
        // refused at start-up, not at the first large response (MariaDB's and MySQL's max_allowed_packet).
        dialect.checkMaxResponseBytes(config.maxResponseBytes());
        purge.adopt(config);
        return true;
    }

    /**
     * Stops the purge of expired records and returns once its thread has ended; closes the pool the store built
     * from a JDBC URL, and deregisters from {@code DriverManager} the drivers that building it registered: a web
     * application's driver, which its container would otherwise remove itself and report as a memory leak. A
     * pool passed in, or found in JNDI, stays open. Idempotent.
     */
    @Override
    public void close() {
        purge.close();
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    /**
     * A pool the store built from a JDBC URL, the threads it started, and the drivers that building it
     * registered with DriverManager (loading a driver registers it): closing it undoes all three, and returns
     * once the pool's threads have ended. HikariCP stops some of its threads without waiting for them (its
     * housekeeper, and its connection adder whenever the login timeout is zero, the default), so a servlet
     * container that looks for the application's threads right after undeploy would find them still running and
     * report a leak.
     */
    private record OwnedPool(HikariDataSource dataSource, DaemonThreads threads, List<Driver> registeredDrivers) {

        void close() {
            try {
                dataSource.close();
            } finally {
                threads.awaitEnd(Duration.ofSeconds(10));
                DriverLocator.deregister(registeredDrivers);
            }
        }
    }

    @Override
    public String toString() {
        return "JdbcIdempotencyStore[" + engine + ", " + Redaction.redact(String.valueOf(pool)) + "]";
    }

    /**
     * Builds a {@link JdbcIdempotencyStore}; give exactly one of a DataSource, a JDBC URL and the JNDI name
     * of a DataSource.
     */
    public static final class Builder {

        /** The name of the pool built for a JDBC URL; its threads are {@code idempotency-pool-1}, {@code -2}... */
        private static final String POOL_NAME = "idempotency";

        /** The JNDI context a short name such as {@code jdbc/orders} is looked up in. */
        private static final String JNDI_ENVIRONMENT = "java:comp/env/";

        private DataSource dataSource;
        private String jdbcUrl;
        private String jndiName;
        private String driverClassName;
        private String username;
        private String password;
        private int maximumPoolSize = DEFAULT_MAXIMUM_POOL_SIZE;
        private Duration connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
        private boolean migrate = true;
        private Duration purgeInterval;
        private Integer purgeBatchSize;
        private Clock clock;

        private ClaimTransactions claimTransactions;
        private IdempotencyListener listener = IdempotencyListener.none();
        private Builder() {
        }

        /**
         * Where each run of the store's purge of expired records is reported ({@link
         * dev.idempotency.event.PurgeEvent}); default {@link IdempotencyListener#none()}. Requests are reported by
         * the filter, to the listener of its own builder.
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Where transaction-mode claims take their transactions: by default the store's own, on connections of
         * its pool, which handlers join through {@link JdbcIdempotencyStore#transactionalDataSource()}. A framework
         * that manages transactions itself passes its own, so that the code behind an idempotent endpoint joins
         * the request's transaction by the framework's means (the Spring Boot starter passes Spring's).
         */
        public Builder claimTransactions(ClaimTransactions claimTransactions) {
            this.claimTransactions = Objects.requireNonNull(claimTransactions, "claimTransactions");
            return this;
        }

        /** An existing pool; the store does not close it. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * A DataSource the container manages, looked up with {@link InitialContext} by this name when
         * {@link #build()} runs: {@code jdbc/orders} and {@code java:comp/env/jdbc/orders} are the same (a name
         * without a {@code java:} scheme is looked up under {@code java:comp/env/}). The store does not close
         * it: the container does.
         *
         * @throws IdempotencyConfigException if the name is blank
         */
        public Builder jndiDataSource(String name) {
            if (name == null || name.isBlank()) {
                throw IdempotencyConfigException.invalid("jndiDataSource", name,
                        "a JNDI name such as jdbc/orders or java:comp/env/jdbc/orders");
            }
            String trimmed = name.trim();
            this.jndiName = trimmed.startsWith("java:") ? trimmed : JNDI_ENVIRONMENT + trimmed;
            return this;
        }

        /**
         * A JDBC URL such as {@code jdbc:postgresql://db:5432/app} or {@code jdbc:h2:file:./data/app};
         * the store builds a HikariCP pool on it and closes the pool in {@link #close()}. Messages about it
         * show it {@linkplain Redaction redacted}.
         *
         * @throws IdempotencyConfigException if it does not start with {@code jdbc:}, or names a database the
         *     store does not support ({@code jdbc:sqlserver:}, {@code jdbc:oracle:}, ...): the message names the
         *     scheme and the engines supported
         */
        public Builder jdbcUrl(String jdbcUrl) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:")) {
                throw IdempotencyConfigException.invalid("jdbcUrl", Redaction.redact(jdbcUrl),
                        "a JDBC URL such as jdbc:postgresql://localhost:5432/app or jdbc:h2:file:./data/app");
            }
            JdbcUrlSchemes.requireSupported("jdbcUrl", jdbcUrl);
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /**
         * The JDBC driver class for {@link #jdbcUrl}, such as {@code org.postgresql.Driver}. Without it the
         * store finds the driver that accepts the URL itself, through the thread's context class loader (a web
         * application's, with its {@code WEB-INF/lib}) and then this library's.
         *
         * @throws IdempotencyConfigException if the name is blank
         */
        public Builder driverClassName(String driverClassName) {
            if (driverClassName == null || driverClassName.isBlank()) {
                throw IdempotencyConfigException.invalid("driverClassName", driverClassName,
                        "the class name of a JDBC driver, such as org.postgresql.Driver");
            }
            this.driverClassName = driverClassName.trim();
            return this;
        }

        /** The user for {@link #jdbcUrl}. */
        public Builder username(String username) {
            this.username = username;
            return this;
        }

        /** The password for {@link #jdbcUrl}; never shown in a message or an exception of the store. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The size of the pool built for {@link #jdbcUrl}, 1 to 1000. Default {@value #DEFAULT_MAXIMUM_POOL_SIZE}. */
        public Builder maximumPoolSize(int size) {
            if (size < 1 || size > 1000) {
                throw IdempotencyConfigException.invalid("maximumPoolSize", size, "a number from 1 to 1000");
            }
            this.maximumPoolSize = size;
            return this;
        }

        /**
         * How long a request waits for a connection of the pool built for {@link #jdbcUrl} (when the
         * database is down, say) before it gets 503; 250 ms to 5 minutes. Default 5 seconds.
         */
        public Builder connectionTimeout(Duration timeout) {
            if (timeout == null || timeout.compareTo(Duration.ofMillis(250)) < 0
                    || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
                throw IdempotencyConfigException.invalid("connectionTimeout", timeout, "a duration from 250ms to 5m");
            }
            this.connectionTimeout = timeout;
            return this;
        }

        /**
         * How often expired records are deleted in the background, 1 millisecond to 1 day, or
         * {@link Duration#ZERO} for never (call {@link JdbcIdempotencyStore#purgeExpired} yourself, or with an
         * {@link ExpiredRecordPurger}). Default {@link #DEFAULT_PURGE_INTERVAL}, or the filter's
         * {@code idempotency.purge-interval} when the store serves a filter. Given here, it is kept whatever
         * the filter says.
         */
        public Builder purgeInterval(Duration interval) {
            this.purgeInterval = BatchedPurge.requireInterval("purgeInterval", interval, Duration.ofMillis(1));
            return this;
        }

        /**
         * Records deleted per purge transaction, 1 to 100000; a run stops after
         * {@value ExpiredRecordPurger#MAX_BATCHES_PER_RUN} full batches. Default
         * {@value #DEFAULT_PURGE_BATCH_SIZE}, or the filter's {@code idempotency.purge-batch-size} when the store
         * serves a filter. Given here, it is kept whatever the filter says.
         */
        public Builder purgeBatchSize(int size) {
            this.purgeBatchSize = BatchedPurge.requireBatchSize("purgeBatchSize", size);
            return this;
        }

        /**
         * The clock that decides which records have expired, for the purge: it should be the clock of the
         * engine that stores the records. Default the system clock in UTC, or the filter's clock when the store
         * serves a filter. Given here, it is kept whatever the filter says.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Whether to create or upgrade the table when the store is built. Default {@code true}; turn it
         * off when the schema is managed elsewhere (the SQL files are in this jar).
         */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * Connects, identifies the database, migrates the table unless told not to, and starts the purge of
         * expired records. A failure never shows the password, of the URL or of {@link #password}: not in its
         * message, nor in its cause chain (causes that quoted it are replaced by redacted copies with the same
         * class names and stack traces).
         *
         * @throws IdempotencyConfigException if not exactly one of a DataSource, a JDBC URL and a JNDI name
         *     was given, if a driver class was named without a JDBC URL or does not accept it, or if the JNDI
         *     name does not name a DataSource
         * @throws StoreUnavailableException if the database cannot be reached
         * @throws StoreException if no driver accepts the JDBC URL (naming the jar to add), the database is
         *     not supported, or the migration fails
         */
        public JdbcIdempotencyStore build() {
            int given = (dataSource != null ? 1 : 0) + (jdbcUrl != null ? 1 : 0) + (jndiName != null ? 1 : 0);
            if (given != 1) {
                throw IdempotencyConfigException.missing("dataSource, jdbcUrl or jndiDataSource",
                        "give exactly one of them to JdbcIdempotencyStore.builder()"
                                + (given > 1 ? " (" + given + " were given)" : ""));
            }
            if (driverClassName != null && jdbcUrl == null) {
                throw IdempotencyConfigException.inconsistent("driverClassName", driverClassName,
                        "it names the driver of a jdbcUrl, and none was given");
            }
            try {
                return connect();
            } catch (IdempotencyConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                // HikariCP, the driver and Flyway quote the URL in their own exceptions.
                throw RedactedThrowable.redacted(e, secrets());
            }
        }

        private JdbcIdempotencyStore connect() {
            OwnedPool owned = jdbcUrl == null ? null : newPool();
            DataSource pool = owned != null ? owned.dataSource() : jndiName != null ? lookUp(jndiName) : dataSource;
            try {
                DatabaseProbe probe = DatabaseProbe.prepare(pool, "the idempotency store" + (jdbcUrl != null
                        ? " (" + Redaction.redact(jdbcUrl) + ")" : jndiName != null ? " (" + jndiName + ")" : ""),
                        migrate);
                return new JdbcIdempotencyStore(probe, owned, this);
            } catch (RuntimeException e) {
                if (owned != null) {
                    owned.close();
                }
                throw e;
            }
        }

        private static DataSource lookUp(String name) {
            Object found;
            try {
                found = new InitialContext().lookup(name);
            } catch (NamingException e) {
                throw IdempotencyConfigException.invalid("jndiDataSource", name, "the JNDI name of a DataSource the "
                        + "container defines (the lookup failed: " + e.getClass().getSimpleName() + ": "
                        + e.getMessage() + ")");
            }
            if (!(found instanceof DataSource source)) {
                throw IdempotencyConfigException.invalid("jndiDataSource", name, "the JNDI name of a "
                        + DataSource.class.getName() + ", not of " + (found == null ? "null" : "a "
                        + found.getClass().getName()));
            }
            return source;
        }

        /** What no message may show: the builder's password and those written in the URL. */
        private Set<String> secrets() {
            Set<String> secrets = new LinkedHashSet<>(Redaction.secretsIn(jdbcUrl));
            if (password != null && !password.isEmpty()) {
                secrets.add(password);
            }
            return secrets;
        }

        private OwnedPool newPool() {
            Set<Driver> registeredBefore = DriverLocator.registeredDrivers();
            DaemonThreads threads = DaemonThreads.numbered("pool");
            try {
                return new OwnedPool(newHikariPool(threads), threads, DriverLocator.registeredSince(registeredBefore));
            } catch (RuntimeException e) {
                threads.awaitEnd(Duration.ofSeconds(10));
                DriverLocator.deregister(DriverLocator.registeredSince(registeredBefore));
                throw e;
            }
        }

        private HikariDataSource newHikariPool(DaemonThreads threads) {
            HikariConfig config = new HikariConfig();
            config.setPoolName(POOL_NAME);
            config.setThreadFactory(threads);
            config.setJdbcUrl(jdbcUrl);
            // By class name, so that HikariCP loads the driver itself rather than asking DriverManager, which
            // in a servlet container cannot see one in WEB-INF/lib.
            config.setDriverClassName(DriverLocator.driverClassFor(jdbcUrl, driverClassName));
            config.setUsername(username);
            config.setPassword(password);
            config.setMaximumPoolSize(maximumPoolSize);
            config.setConnectionTimeout(connectionTimeout.toMillis());
            // HikariCP discards a connection on SQLState class 08, but H2 over TCP reports a broken connection
            // with codes of its own; without this the pool would keep handing out dead connections, and
            // answering 503, long after the database is back.
            config.setExceptionOverride(new SQLExceptionOverride() {
                @java.lang.Override // the interface's own Override is an enum
                public SQLExceptionOverride.Override adjudicate(SQLException e) {
                    return SqlErrors.isConnectionGone(e) ? SQLExceptionOverride.Override.MUST_EVICT
                            : SQLExceptionOverride.Override.CONTINUE_EVICT;
                }
            });
            try {
                return new HikariDataSource(config);
            } catch (RuntimeException e) {
                throw new StoreUnavailableException("Cannot open a connection pool on " + Redaction.redact(jdbcUrl)
                        + ": " + e.getMessage(), e);
            }
        }
    }
}
