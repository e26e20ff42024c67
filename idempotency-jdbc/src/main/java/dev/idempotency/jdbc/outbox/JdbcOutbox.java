package dev.idempotency.jdbc.outbox;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.internal.GuardedListener;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.Redaction;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.jdbc.internal.DatabaseProbe;
import dev.idempotency.jdbc.internal.LocalTransaction;
import dev.idempotency.jdbc.internal.LocalTransactions;
import dev.idempotency.jdbc.internal.OutboxSql;
import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.jdbc.internal.TransactionBinding;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The transactional outbox in a PostgreSQL or H2 database: outbound messages are written in the
 * application's own transaction, so they exist if and only if the business change that caused them
 * committed, and {@link OutboxRelay}s publish them afterwards, at least once.
 *
 * <pre>{@code
 * JdbcOutbox outbox = JdbcOutbox.create(pool);                      // migrates its table
 * outbox.inTransaction(() -> {                                       // or inside an idempotent request
 *     posts.insert(outbox.transactionalDataSource(), post);
 *     outbox.enqueue(OutboxMessage.of("https://hooks.example/posts", post.accountId(), json, List.of()));
 *     return null;
 * });
 * try (OutboxRelay relay = outbox.relay(publisher).start()) { ... }  // on every instance, if you like
 * }</pre>
 *
 * <p>Guarantees, detailed in {@code docs/outbox.md}:
 * <ul>
 *   <li>an enqueued message commits or rolls back with the transaction it was enqueued in;</li>
 *   <li>every committed message is handed to a publisher until one attempt is {@link PublishResult.Delivered
 *       delivered}, or it is dead (attempts exhausted, or rejected): never lost, across crashes of relays
 *       at any point, and published with the same {@link OutboxMessage#id() id} every time;</li>
 *   <li>while every relay runs and keeps its lease, each message is published once; several relays on
 *       several instances never claim the same message at once;</li>
 *   <li>with ordering per key (the default), a message is published only after every earlier message of
 *       its key was delivered.</li>
 * </ul>
 *
 * <p>The outbox holds no thread and no connection of its own; relays do. Thread-safe.
 */
public final class JdbcOutbox {

    /** The table holding the messages. */
    public static final String TABLE = OutboxSql.TABLE;

    private static final int REQUEUE_BATCH_SIZE = 1000;

    private final DataSource pool;
    private final DatabaseEngine engine;
    /** The outbox's own transactions, at READ COMMITTED: the relays' claims and marks, re-queueing, purging. */
    private final LocalTransactions transactions;
    /** The business transactions of {@link #inTransaction}, at the pool's isolation: the application's own. */
    private final LocalTransactions businessTransactions;
    private final OutboxSql sql;
    private final Clock clock;
    private final TransactionJoiningDataSource transactionalDataSource;
    private final GuardedListener listener;

    private JdbcOutbox(DatabaseProbe probe, Clock clock, IdempotencyListener listener) {
        this.pool = probe.pool();
        this.engine = probe.engine();
        this.transactions = probe.transactions();
        this.businessTransactions = new LocalTransactions(pool, false);
        this.sql = probe.dialect().outbox();
        this.clock = clock;
        this.transactionalDataSource = TransactionJoiningDataSource.over(pool);
        this.listener = GuardedListener.of(listener);
    }

    /**
     * An outbox on {@code pool}, whose table is created or upgraded now.
     *
     * @param pool the application's pool; a {@link TransactionJoiningDataSource} is replaced by its pool
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the database is not PostgreSQL or H2, or the migration fails
     */
    public static JdbcOutbox create(DataSource pool) {
        return builder().dataSource(pool).build();
    }

    /** A builder, for another clock or without migrations. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Enqueues {@code message} in the transaction bound to this thread on this outbox's pool: the one of an
     * idempotent request ({@code JdbcIdempotencyStore} on the same pool), of a
     * {@link dev.idempotency.jdbc.inbox.JdbcInbox#process JdbcInbox.process} work, or of
     * {@link #inTransaction}. The message commits or rolls back with that transaction.
     *
     * @throws IllegalStateException if no such transaction is bound to this thread
     * @throws StoreException if a message with the same id is already in the outbox, or the insert failed;
     *     on PostgreSQL the transaction is then unusable and must roll back
     */
    public void enqueue(OutboxMessage message) {
        Objects.requireNonNull(message, "message");
        Connection bound = TransactionBinding.current(pool);
        if (bound == null) {
            throw new IllegalStateException("JdbcOutbox.enqueue(message) needs a transaction bound to this thread on "
                    + "the outbox's pool, and there is none: call it inside an idempotent request, inside the work "
                    + "of JdbcInbox.process or JdbcOutbox.inTransaction (on the same pool instance), or pass your own "
                    + "connection to enqueue(connection, message). Message " + message.id() + " was not enqueued.");
        }
        insert(bound, message);
    }

    /**
     * Enqueues {@code message} on {@code connection}, in the transaction the caller has open on it; the caller
     * commits or rolls back. The connection may belong to any pool on this outbox's database.
     *
     * @throws IllegalStateException if the connection is in auto-commit mode: the message would commit on its
     *     own, apart from the business change it belongs to
     * @throws StoreException if a message with the same id is already in the outbox, or the insert failed;
     *     on PostgreSQL the transaction is then unusable and must roll back
     */
    public void enqueue(Connection connection, OutboxMessage message) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(message, "message");
        boolean autoCommit;
        try {
            autoCommit = connection.getAutoCommit();
        } catch (SQLException e) {
            throw SqlErrors.translate("enqueueing outbox message " + message.id(), e);
        }
        if (autoCommit) {
            throw new IllegalStateException("JdbcOutbox.enqueue(connection, message) was given a connection in "
                    + "auto-commit mode: message " + message.id() + " would commit on its own, apart from your "
                    + "business change. Call setAutoCommit(false) first and commit after the enqueue, or use "
                    + "inTransaction(...).");
        }
        insert(connection, message);
    }

    /**
     * Runs {@code work} in a transaction on this outbox's pool, bound to this thread so that
     * {@link #enqueue(OutboxMessage)} and {@link #transactionalDataSource()} join it, and commits it. Inside
     * a transaction already bound on this pool (an idempotent request, inbox work, an enclosing
     * {@code inTransaction}) it runs {@code work} in that one and leaves the commit to it.
     *
     * @return what {@code work} returned
     * @throws Exception whatever {@code work} throws, unchanged, after the transaction was rolled back
     * @throws StoreUnavailableException if no connection could be had, or the commit failed for a reason a
     *     retry can fix; nothing was committed
     * @throws StoreException if the commit failed otherwise; nothing was committed
     */
    public <T> T inTransaction(TransactionWork<T> work) throws Exception {
        Objects.requireNonNull(work, "work");
        if (TransactionBinding.current(pool) != null) {
            return work.run();
        }
        LocalTransaction transaction;
        try {
            transaction = businessTransactions.begin();
        } catch (SQLException e) {
            throw SqlErrors.translate("opening a transaction for the outbox", e);
        }
        try (transaction) {
            T value = transaction.bind(work::run);
            try {
                transaction.commit();
            } catch (SQLException e) {
                throw SqlErrors.translate("committing a transaction with outbox messages", e);
            }
            return value;
        }
    }

    /**
     * The DataSource for business writes that must commit with the enqueued messages: inside a transaction
     * bound on this pool (see {@link #enqueue(OutboxMessage)}) it hands out that transaction's connection;
     * everywhere else it is the pool.
     */
    public TransactionJoiningDataSource transactionalDataSource() {
        return transactionalDataSource;
    }

    /** A relay publishing through {@code publisher} with {@link OutboxRelayConfig#ofDefaults()}; not started. */
    public OutboxRelay relay(OutboxPublisher publisher) {
        return relay(publisher, OutboxRelayConfig.ofDefaults());
    }

    /** A relay publishing through {@code publisher} with {@code config}; not started. */
    public OutboxRelay relay(OutboxPublisher publisher, OutboxRelayConfig config) {
        return new OutboxRelay(this, Objects.requireNonNull(publisher, "publisher"),
                Objects.requireNonNull(config, "config"));
    }

    /**
     * Up to {@code limit} dead messages with their attempts and last error, oldest enqueued first.
     *
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    public List<DeadLetter> deadLetters(int limit) {
        requirePositive(limit);
        try {
            return transactions.autoCommitted(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(sql.dead())) {
                    ps.setInt(1, limit);
                    List<DeadLetter> dead = new ArrayList<>();
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            dead.add(new DeadLetter(sql.message(rs), rs.getInt(7), rs.getString(8),
                                    sql.instant(rs, 9)));
                        }
                    }
                    return dead;
                }
            });
        } catch (SQLException e) {
            throw SqlErrors.translate("listing dead outbox messages", e);
        }
    }

    /**
     * Makes dead message {@code messageId} pending again, due now, with its attempts counted from zero (its
     * last error stays until the next attempt's outcome).
     *
     * @return {@code false} if there is no dead message with that id
     */
    public boolean requeue(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        return update("re-queueing outbox message " + messageId, sql.requeue(), ps -> {
            ps.setObject(1, sql.timestamp(clock.instant()));
            ps.setString(2, messageId);
        }) == 1;
    }

    /**
     * Makes every dead message pending again, as {@link #requeue} does, in transactions of
     * {@value #REQUEUE_BATCH_SIZE} messages.
     *
     * @return how many messages were re-queued
     */
    public int requeueAllDead() {
        int total = 0;
        int requeued;
        do {
            requeued = update("re-queueing dead outbox messages", sql.requeueDead(), ps -> {
                ps.setObject(1, sql.timestamp(clock.instant()));
                ps.setInt(2, REQUEUE_BATCH_SIZE);
            });
            total += requeued;
        } while (requeued == REQUEUE_BATCH_SIZE);
        return total;
    }

    /**
     * Deletes dead message {@code messageId} for good; with ordering, this lets the later messages of its key
     * go.
     *
     * @return {@code false} if there is no dead message with that id
     */
    public boolean discard(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        return update("discarding outbox message " + messageId, sql.discard(),
                ps -> ps.setString(1, messageId)) == 1;
    }

    /**
     * Deletes up to {@code limit} messages delivered at or before {@code deliveredBefore} (kept because of
     * {@link OutboxRelayConfig#deliveredRetention()}), in one transaction. A started relay calls this itself.
     *
     * @return how many messages were deleted
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    public int purgeDelivered(Instant deliveredBefore, int limit) {
        Objects.requireNonNull(deliveredBefore, "deliveredBefore");
        requirePositive(limit);
        return update("purging delivered outbox messages", sql.purgeDelivered(), ps -> {
            ps.setObject(1, sql.timestamp(deliveredBefore));
            ps.setInt(2, limit);
        });
    }

    /** How many messages are pending (waiting, in flight or backing off): the relays' backlog. */
    public long pendingCount() {
        try {
            return transactions.autoCommitted(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(sql.countPending());
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
        } catch (SQLException e) {
            throw SqlErrors.translate("counting pending outbox messages", e);
        }
    }

    /**
     * What the relays have not finished: pending messages, when the oldest of them was enqueued, and dead
     * letters, in one query over the unfinished messages. For gauges and health checks, which should cache it
     * rather than run it on every read: its cost grows with the backlog.
     *
     * @throws StoreException if the database failed
     */
    public OutboxBacklog backlog() {
        try {
            return transactions.autoCommitted(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(sql.backlog());
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return new OutboxBacklog(rs.getLong(1), Optional.ofNullable(sql.instant(rs, 2)),
                            rs.getLong(3));
                }
            });
        } catch (SQLException e) {
            throw SqlErrors.translate("reading the outbox backlog", e);
        }
    }

    /** Where this outbox's relays report their batches and purges. */
    GuardedListener listener() {
        return listener;
    }

    /** The database engine in use. */
    public DatabaseEngine engine() {
        return engine;
    }

    @Override
    public String toString() {
        return "JdbcOutbox[" + engine + ", " + Redaction.redact(String.valueOf(pool)) + "]";
    }

    LocalTransactions transactions() {
        return transactions;
    }

    OutboxSql sql() {
        return sql;
    }

    Clock clock() {
        return clock;
    }

    private void insert(Connection connection, OutboxMessage enqueued) {
        OutboxMessage message = withTraceContext(enqueued);
        try (PreparedStatement ps = connection.prepareStatement(sql.insert())) {
            sql.bindInsert(ps, message, clock.instant());
            ps.executeUpdate();
        } catch (SQLException e) {
            if (SqlErrors.isUniqueViolation(e)) {
                throw new StoreException("Outbox message id " + message.id() + " is taken: another message with this "
                        + "id is in the outbox (pending, dead, or delivered and kept). Ids must be unique.", e);
            }
            throw SqlErrors.translate("enqueueing outbox message " + message.id(), e);
        }
    }

    /**
     * {@code message} with the fields that carry the enqueuing thread's trace (a tracing listener's
     * {@code traceparent}, {@code tracestate}) added as headers, except where it has a header of that name already.
     */
    private OutboxMessage withTraceContext(OutboxMessage message) {
        if (!listener.active()) {
            return message;
        }
        List<Header> added = new ArrayList<>(2);
        listener.onOutboxEnqueue((name, value) -> {
            if (name != null && value != null && message.header(name).isEmpty()
                    && added.stream().noneMatch(header -> header.hasName(name))) {
                added.add(new Header(name, value));
            }
        });
        if (added.isEmpty()) {
            return message;
        }
        List<Header> headers = new ArrayList<>(message.headers());
        headers.addAll(added);
        return new OutboxMessage(message.id(), message.destination(), message.key(), message.payload(), headers,
                message.createdAt());
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private int update(String doing, String statement, Binder binder) {
        try {
            return transactions.inTransaction(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(statement)) {
                    binder.bind(ps);
                    return ps.executeUpdate();
                }
            });
        } catch (SQLException e) {
            throw SqlErrors.translate(doing, e);
        }
    }

    private static void requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, not " + limit);
        }
    }

    /** Builds a {@link JdbcOutbox}; a DataSource is required, everything else has a default. */
    public static final class Builder {

        private DataSource dataSource;
        private Clock clock = Clock.systemUTC();
        private boolean migrate = true;
        private IdempotencyListener listener = IdempotencyListener.none();

        private Builder() {
        }

        /**
         * Where this outbox's relays report each batch ({@link dev.idempotency.event.OutboxEvent}: published,
         * retried, dead) and each purge of delivered messages; default {@link IdempotencyListener#none()}.
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The pool holding the outbox; the outbox does not close it. A {@link TransactionJoiningDataSource}
         * (such as {@code store.transactionalDataSource()}) is replaced by its pool, so
         * {@link JdbcOutbox#enqueue(OutboxMessage)} joins the idempotency store's requests.
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * The clock that decides when messages are due, when leases end, and how old delivered messages are;
         * default the system clock in UTC. All relays of one outbox should have clocks within a small fraction
         * of the lease of each other (NTP does it): a relay whose clock runs ahead by more than the lease takes
         * over leases early, which publishes messages twice (never loses one).
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Whether to create or upgrade the library's tables when the outbox is built (see
         * {@link IdempotencySchema}); default {@code true}.
         */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * Connects, identifies the database and migrates unless told not to.
         *
         * @throws IdempotencyConfigException if no DataSource was given
         * @throws StoreUnavailableException if the database cannot be reached
         * @throws StoreException if the database is not supported or the migration fails
         */
        public JdbcOutbox build() {
            if (dataSource == null) {
                throw IdempotencyConfigException.missing("dataSource", "give JdbcOutbox.builder() the pool to use");
            }
            return new JdbcOutbox(DatabaseProbe.prepare(dataSource, "JdbcOutbox", migrate), clock, listener);
        }
    }
}
