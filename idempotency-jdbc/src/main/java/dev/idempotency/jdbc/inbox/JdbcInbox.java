package dev.idempotency.jdbc.inbox;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.event.PurgeEvent;
import dev.idempotency.internal.BatchedPurge;
import dev.idempotency.internal.GuardedListener;
import dev.idempotency.jdbc.ClaimTransactions;
import dev.idempotency.jdbc.DatabaseEngine;
import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.Redaction;
import dev.idempotency.jdbc.TransactionJoiningDataSource;
import dev.idempotency.jdbc.internal.DatabaseProbe;
import dev.idempotency.jdbc.internal.InboxSql;
import dev.idempotency.jdbc.internal.LocalTransactions;
import dev.idempotency.jdbc.internal.ManagedTransaction;
import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.jdbc.internal.Transaction;
import dev.idempotency.jdbc.internal.TransactionBinding;
import dev.idempotency.jdbc.internal.Transactions;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Receiver-side deduplication ("inbox") in a PostgreSQL or H2 database: each message of an at-least-once
 * stream (webhooks, queue consumers) is applied once per consumer, by recording its stable id in the same
 * transaction as its effect.
 *
 * <pre>{@code
 * JdbcInbox inbox = JdbcInbox.create(pool);                        // migrates its table
 * DataSource db = inbox.transactionalDataSource();                 // give this to your DAOs
 * InboxResult<Void> result = inbox.process("billing", event.id(), () -> {
 *     invoices.insert(db, event);                                  // joins the inbox's transaction
 *     return null;
 * });
 * // result.duplicate(): the event had been applied before; the work did not run
 * }</pre>
 *
 * <p>Guarantees of {@link #process}, for one consumer name and one message id, while the message's marker
 * is kept (at least {@link Builder#retention retention} after it was applied):
 * <ul>
 *   <li>the work's writes through {@link #transactionalDataSource()} and the marker commit in one
 *       transaction, or neither does: work that throws leaves no marker, and a redelivery applies again;</li>
 *   <li>the work's effect is committed at most once. A concurrent duplicate (the same message delivered
 *       to two consumers at once) inserts its marker second: it waits on the primary key until the first
 *       transaction ends, then is told {@link InboxResult.Duplicate} if the first committed, or applies the
 *       message itself if the first rolled back;</li>
 *   <li>after the marker is purged (the first purge after its retention), a redelivery is applied again.
 *       Choose a retention longer than the sender's whole retry horizon plus your longest downtime.</li>
 * </ul>
 *
 * <p>Given the message's payload ({@link #process(String, String, byte[], InboxWork)}), the marker also keeps
 * the payload's SHA-256, and a later delivery of the same id with a different payload is refused as
 * {@link InboxResult.Reused} instead of being taken for a duplicate.
 *
 * <p>Each {@code process} call holds one pooled connection from the marker's insert to the commit, and so
 * does each concurrent duplicate while it waits. The inbox runs its transactions at READ COMMITTED. Effects
 * outside the database (an e-mail, an HTTP call) are not part of the transaction: see {@code docs/inbox.md}.
 *
 * <p>An inbox built with a non-zero {@link Builder#purgeInterval purge interval} (the default) deletes
 * expired markers on a daemon thread of its own ({@code idempotency-inbox-purge}), from {@link Builder#build()}
 * to {@link #close()}: close the inbox when the application stops. The pool stays open.
 */
public final class JdbcInbox implements AutoCloseable {

    /** How long a marker is kept unless configured: 7 days. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    /** How often expired markers are deleted in the background unless configured: 1 minute. */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);

    /** Markers deleted per purge transaction unless configured. */
    public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;

    /** A background purge run stops after this many full batches, leaving the rest to the next run. */
    public static final int MAX_BATCHES_PER_PURGE_RUN = BatchedPurge.MAX_BATCHES_PER_RUN;

    /** The longest consumer name. */
    public static final int MAX_CONSUMER_LENGTH = 200;

    /** Message ids longer than this are stored as {@code sha256:} followed by the hex SHA-256 of the id. */
    public static final int MAX_STORED_MESSAGE_ID_LENGTH = 255;

    /** The table holding the markers. */
    public static final String TABLE = InboxSql.TABLE;

    private final DataSource pool;
    private final DatabaseEngine engine;
    private final LocalTransactions transactions;
    private final Transactions deliveries;
    private final InboxSql sql;
    private final Duration retention;
    private final Clock clock;
    private final TransactionJoiningDataSource transactionalDataSource;
    private final BatchedPurge purge;
    private final GuardedListener listener;

    private JdbcInbox(DatabaseProbe probe, Builder builder) {
        this.pool = probe.pool();
        this.engine = probe.engine();
        this.transactions = probe.transactions();
        this.deliveries = builder.transactions == null ? transactions
                : ManagedTransaction.source(builder.transactions, pool, probe.forceReadCommitted());
        this.sql = probe.dialect().inbox();
        this.retention = builder.retention;
        this.clock = builder.clock;
        this.transactionalDataSource = TransactionJoiningDataSource.over(pool);
        this.listener = GuardedListener.of(builder.listener);
        this.purge = new BatchedPurge("inbox-purge", "expired inbox markers", this::purgeExpired,
                builder.purgeBatchSize, builder.purgeInterval, clock, PurgeEvent.Target.INBOX, listener).start();
    }

    /**
     * An inbox on {@code pool} with the defaults (7 days of retention, purged every minute), whose table is
     * created or upgraded now.
     *
     * @param pool the application's pool; a {@link TransactionJoiningDataSource} is replaced by its pool
     * @throws StoreUnavailableException if the database cannot be reached
     * @throws StoreException if the database is not PostgreSQL or H2, or the migration fails
     */
    public static JdbcInbox create(DataSource pool) {
        return builder().dataSource(pool).build();
    }

    /** A builder, for another retention, clock or purge schedule, or without migrations. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Applies the message {@code messageId} of {@code consumer} once: if this consumer applied it before
     * (its marker is still kept), returns {@link InboxResult.Duplicate} without running {@code work};
     * otherwise runs {@code work} in a new transaction that also records the marker, commits, and returns
     * {@link InboxResult.Applied} with what the work returned.
     *
     * <p>On this thread, while {@code work} runs, {@link #transactionalDataSource()} (and any other
     * {@code TransactionJoiningDataSource} over the same pool, such as an outbox's) hands out the
     * transaction's connection: the work's writes commit with the marker. A concurrent call for the same
     * consumer and message waits until this one ends, then reports {@code Duplicate} (or applies the message
     * itself if this one rolled back).
     *
     * <p>This method takes every later delivery of the id for a duplicate, whatever it carries. To refuse an id
     * that a sender reused for another payload, use {@link #process(String, String, byte[], InboxWork)}.
     *
     * @param consumer who applies the message, 1 to {@value #MAX_CONSUMER_LENGTH} characters: each consumer
     *     keeps its own markers, so two consumers of one stream each apply every message once
     * @param messageId the message's stable id, the same in every delivery of it (the {@code webhook-id}, an
     *     event id); not empty. Ids over {@value #MAX_STORED_MESSAGE_ID_LENGTH} characters are stored as their
     *     SHA-256.
     * @param work the message's effect; it must not commit, roll back or turn auto-commit on (the joined
     *     connection refuses), and work it hands to other threads does not join
     * @return {@code Applied} with the work's value, or {@code Duplicate}
     * @throws Exception whatever {@code work} throws, unchanged; the transaction was rolled back, no marker
     *     was recorded, and a redelivery applies the message again
     * @throws StoreUnavailableException if the database could not be reached or the commit failed for a
     *     reason a retry can fix; nothing was committed, so let the message be redelivered
     * @throws StoreException if the database failed otherwise; nothing was committed
     * @throws IllegalArgumentException if the consumer or message id is empty or the consumer too long
     * @throws IllegalStateException if this thread is already inside a transaction bound on this pool (an
     *     idempotent request, or another {@code process}): the inbox needs a transaction of its own
     */
    public <T> InboxResult<T> process(String consumer, String messageId, InboxWork<T> work) throws Exception {
        requireConsumer(consumer);
        String storedId = storedMessageId(messageId);
        Objects.requireNonNull(work, "work");
        return apply(consumer, messageId, storedId, null, work);
    }

    /**
     * Applies the message {@code messageId} of {@code consumer} once, as {@link #process(String, String,
     * InboxWork)} does, and also refuses the id when it comes back with another payload: the marker keeps the
     * SHA-256 of {@code payload}, and a later delivery of the same id is {@link InboxResult.Duplicate} if its
     * payload is the same bytes, or {@link InboxResult.Reused} if not. In both cases the work does not run.
     *
     * <p>A marker that keeps no digest (recorded by {@code process} without a payload, or before the inbox kept
     * digests) cannot tell payloads apart: every later delivery of its id is a {@code Duplicate}. A concurrent
     * delivery of the same id waits for the first, as with {@code process}, and is then told {@code Duplicate}
     * or {@code Reused} by the payload the first committed.
     *
     * @param payload the message's payload exactly as received (a webhook's raw body, before any parsing):
     *     bytes that differ in any way, re-serialised JSON included, count as another payload
     * @return {@code Applied} with the work's value, {@code Duplicate}, or {@code Reused}
     * @throws Exception whatever {@code work} throws, unchanged; nothing was committed
     * @throws StoreUnavailableException if the database could not be reached or the commit failed for a
     *     reason a retry can fix; nothing was committed
     * @throws StoreException if the database failed otherwise; nothing was committed
     * @throws IllegalArgumentException if the consumer or message id is empty or the consumer too long
     * @throws IllegalStateException if this thread is already inside a transaction bound on this pool
     * @see #process(String, String, InboxWork) the other parameters and the transaction
     */
    public <T> InboxResult<T> process(String consumer, String messageId, byte[] payload, InboxWork<T> work)
            throws Exception {
        requireConsumer(consumer);
        String storedId = storedMessageId(messageId);
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(work, "work");
        return apply(consumer, messageId, storedId, sha256(payload), work);
    }

    /** Applies the message once, and reports what became of it. */
    private <T> InboxResult<T> apply(String consumer, String messageId, String storedId, byte[] digest,
            InboxWork<T> work) throws Exception {
        InboxResult<T> result = applyOnce(consumer, messageId, storedId, digest, work);
        if (listener.active()) {
            listener.onInboxMessage(new InboxEvent(result instanceof InboxResult.Applied ? InboxEvent.Result.PROCESSED
                    : result instanceof InboxResult.Reused ? InboxEvent.Result.REUSED : InboxEvent.Result.DUPLICATE));
        }
        return result;
    }

    /** Runs the work with the marker in one transaction; {@code digest} is the payload's, or {@code null}. */
    private <T> InboxResult<T> applyOnce(String consumer, String messageId, String storedId, byte[] digest,
            InboxWork<T> work) throws Exception {
        if (TransactionBinding.current(pool) != null) {
            throw new IllegalStateException("JdbcInbox.process(" + consumer + ", " + messageId + ") was called inside "
                    + "another transaction bound to this thread on the same pool (an idempotent request, inbox work, "
                    + "or JdbcOutbox.inTransaction); the inbox commits the marker with the work in a transaction of "
                    + "its own, so call it outside");
        }
        Instant now = clock.instant();
        Transaction transaction;
        try {
            transaction = deliveries.begin();
        } catch (SQLException e) {
            throw SqlErrors.translate("getting a connection to process message " + messageId + " of consumer "
                    + consumer, e);
        }
        try (transaction) {
            boolean first;
            try {
                first = sql.insertMarker(transaction, consumer, storedId, now, now.plus(retention), digest);
            } catch (SQLException e) {
                throw SqlErrors.translate("recording message " + messageId + " of consumer " + consumer, e);
            }
            if (!first) {
                return alreadyApplied(transaction, consumer, messageId, storedId, digest);
            }
            T value = transaction.bind(work::run);
            try {
                transaction.commit();
            } catch (SQLException e) {
                if (sql.isMarkerConflict(e)) {
                    // The failed commit ended this transaction: the marker that won is read in another.
                    return alreadyApplied(null, consumer, messageId, storedId, digest);
                }
                throw SqlErrors.translate("committing message " + messageId + " of consumer " + consumer, e);
            }
            return new InboxResult.Applied<>(value);
        }
    }

    /**
     * The DataSource for the work's writes: inside {@link #process}, on the thread running the work, it hands
     * out the inbox transaction's connection; everywhere else it is the pool. The same as
     * {@code TransactionJoiningDataSource.over(pool)}.
     */
    public TransactionJoiningDataSource transactionalDataSource() {
        return transactionalDataSource;
    }

    /**
     * Deletes up to {@code limit} markers that expired at {@code now} (applied at least the retention before
     * it), in one transaction, skipping markers other transactions hold. After this, a redelivery of those
     * messages is applied again.
     *
     * @return how many markers were deleted
     * @throws IllegalArgumentException if {@code limit} is not positive
     * @throws StoreUnavailableException if the database could not be reached
     * @throws StoreException if the delete failed otherwise
     */
    public int purgeExpired(Instant now, int limit) {
        Objects.requireNonNull(now, "now");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive, not " + limit);
        }
        try {
            return transactions.inTransaction(connection -> sql.purge(connection, now, limit));
        } catch (SQLException e) {
            throw SqlErrors.translate("purging expired inbox markers", e);
        }
    }

    /** How long a marker is kept after its message was applied. */
    public Duration retention() {
        return retention;
    }

    /** The database engine in use. */
    public DatabaseEngine engine() {
        return engine;
    }

    /**
     * Stops the background purge, interrupting a run in progress, and returns once its thread has ended; the
     * pool stays open. Idempotent.
     */
    @Override
    public void close() {
        purge.close();
    }

    @Override
    public String toString() {
        return "JdbcInbox[" + engine + ", retention " + retention + ", " + Redaction.redact(String.valueOf(pool)) + "]";
    }

    /**
     * What a delivery whose marker was already committed is: a {@code Duplicate}, or {@code Reused} when both
     * this delivery and the marker have a payload digest and they differ. Read in the delivery's own
     * transaction when it is still open (it found the committed marker, so it reads that marker's digest), or
     * else in a transaction of its own.
     */
    private <T> InboxResult<T> alreadyApplied(Transaction transaction, String consumer, String messageId,
            String storedId, byte[] digest) {
        if (digest == null) {
            return new InboxResult.Duplicate<>();
        }
        byte[] recorded;
        try {
            // No marker: an expired one was purged in the meantime. Its message was applied all the same, and an
            // expired marker that is still there is a duplicate too.
            recorded = transaction != null ? sql.recordedDigest(transaction.connection(), consumer, storedId)
                    : transactions.inTransaction(connection -> sql.recordedDigest(connection, consumer, storedId));
        } catch (SQLException e) {
            throw SqlErrors.translate("reading the marker of message " + messageId + " of consumer " + consumer, e);
        }
        if (recorded == null || MessageDigest.isEqual(recorded, digest)) {
            return new InboxResult.Duplicate<>();
        }
        return new InboxResult.Reused<>();
    }

    private static void requireConsumer(String consumer) {
        Objects.requireNonNull(consumer, "consumer");
        if (consumer.isEmpty() || consumer.length() > MAX_CONSUMER_LENGTH) {
            throw new IllegalArgumentException("consumer must be 1 to " + MAX_CONSUMER_LENGTH + " characters, not "
                    + consumer.length() + (consumer.isEmpty() ? "" : " ('" + consumer.substring(0, 40) + "...')"));
        }
    }

    /** The id as stored: itself, or for an over-long id its SHA-256, so every id has a marker. */
    static String storedMessageId(String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        if (messageId.isEmpty()) {
            throw new IllegalArgumentException("messageId must not be empty: the inbox deduplicates on it");
        }
        if (messageId.length() <= MAX_STORED_MESSAGE_ID_LENGTH) {
            return messageId;
        }
        return "sha256:" + HexFormat.of().formatHex(sha256(messageId.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform provides SHA-256", e);
        }
    }

    /** Builds a {@link JdbcInbox}; a DataSource is required, everything else has a default. */
    public static final class Builder {

        private DataSource dataSource;
        private Duration retention = DEFAULT_RETENTION;
        private Clock clock = Clock.systemUTC();
        private Duration purgeInterval = DEFAULT_PURGE_INTERVAL;
        private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;
        private boolean migrate = true;
        private ClaimTransactions transactions;
        private IdempotencyListener listener = IdempotencyListener.none();

        private Builder() {
        }

        /**
         * Where each delivery's result ({@code processed}, {@code duplicate} or {@code reused}) and each purge run
         * are reported; default {@link IdempotencyListener#none()}.
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The pool holding the markers and the work's writes; the inbox does not close it. A
         * {@link TransactionJoiningDataSource} (such as {@code store.transactionalDataSource()}) is replaced by
         * its pool, so the inbox joins the same transactions as the idempotency store.
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * How long a marker is kept after its message was applied, 1 second to 3650 days; default 7 days.
         * It must cover the sender's whole retry horizon plus the longest time your receiver may be down or
         * behind (Stripe retries for 3 days; the Standard Webhooks example schedule retries for about 27.5
         * hours, and a failed message may be replayed by hand after that): a redelivery after the marker was
         * purged is applied again. Longer costs only table space. Applies to
         * markers recorded from now on; existing ones keep the expiry they were written with.
         */
        public Builder retention(Duration retention) {
            if (retention == null || retention.compareTo(Duration.ofSeconds(1)) < 0
                    || retention.compareTo(Duration.ofDays(3650)) > 0) {
                throw IdempotencyConfigException.invalid("retention", retention, "a duration from 1s to 3650d");
            }
            this.retention = retention;
            return this;
        }

        /** The clock that dates markers and decides their expiry; default the system clock in UTC. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How often expired markers are deleted on a background thread, from 1 second to 1 day, or
         * {@link Duration#ZERO} for never (call {@link JdbcInbox#purgeExpired} yourself); default 1 minute.
         */
        public Builder purgeInterval(Duration interval) {
            this.purgeInterval = BatchedPurge.requireInterval("purgeInterval", interval, Duration.ofSeconds(1));
            return this;
        }

        /** Markers deleted per background purge transaction, 1 to 100000; default {@value #DEFAULT_PURGE_BATCH_SIZE}. */
        public Builder purgeBatchSize(int size) {
            this.purgeBatchSize = BatchedPurge.requireBatchSize("purgeBatchSize", size);
            return this;
        }

        /**
         * Where each delivery's transaction (the marker and the work's writes) comes from, when a framework
         * manages transactions: the Spring Boot integration hands Spring's transaction manager here, so that
         * the work's writes through {@code JdbcTemplate}, a {@code @Transactional} service or JPA commit with
         * the marker. By default the inbox begins its own on a connection of the pool.
         */
        public Builder transactions(ClaimTransactions transactions) {
            this.transactions = Objects.requireNonNull(transactions, "transactions");
            return this;
        }

        /**
         * Whether to create or upgrade the library's tables when the inbox is built (see
         * {@link IdempotencySchema}); default {@code true}.
         */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        /**
         * Connects, identifies the database, migrates unless told not to, and starts the background purge.
         *
         * @throws IdempotencyConfigException if no DataSource was given
         * @throws StoreUnavailableException if the database cannot be reached
         * @throws StoreException if the database is not supported or the migration fails
         */
        public JdbcInbox build() {
            if (dataSource == null) {
                throw IdempotencyConfigException.missing("dataSource", "give JdbcInbox.builder() the pool to use");
            }
            return new JdbcInbox(DatabaseProbe.prepare(dataSource, "JdbcInbox", migrate), this);
        }
    }
}
