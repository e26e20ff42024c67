package dev.idempotency.jdbc.outbox;

import dev.idempotency.jdbc.internal.LocalTransaction;
import dev.idempotency.jdbc.internal.LocalTransactions;
import dev.idempotency.jdbc.internal.OutboxSql;
import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.jdbc.internal.SqlValues;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes an outbox's pending messages through an {@link OutboxPublisher}, at least once, in batches.
 * Run one on every application instance if you like: relays share the work and never claim the same message
 * at once.
 *
 * <p>Each batch is three steps, and no database transaction is open while the publisher runs:
 * <ol>
 *   <li><b>claim</b>, in one short transaction: lock due messages with {@code FOR UPDATE SKIP LOCKED} (so
 *       concurrent relays skip each other's messages instead of waiting for them), give them a fresh lease
 *       token, make them due again only when the lease ends ({@code available_at} = now +
 *       {@link OutboxRelayConfig#leaseDuration()}), and count the attempt. Without ordering these are the
 *       earliest due messages; with ordering, runs of due messages that each start at the first unfinished
 *       message of their key;</li>
 *   <li><b>publish</b> each message, up to {@link OutboxRelayConfig#publishConcurrency()} at once (with
 *       ordering, the messages of one key one after the other, stopping at the first that is not
 *       delivered). No publication starts after the lease ended;</li>
 *   <li><b>mark</b>, in one short transaction: delivered (deleted, or kept for the retention), due again
 *       after a backoff, dead, or given back unattempted; each mark only applies if the message still
 *       carries this batch's lease token.</li>
 * </ol>
 *
 * <p>A relay that dies, stalls past its lease, or fails to mark, leaves its messages leased; once the lease
 * ends any relay claims them again and publishes them again, with the same id and the next attempt number.
 * So a message is never lost, and is published more than once only after such a failure.
 *
 * <p>{@link #runOnce()} relays one batch on the calling thread; {@link #start()} relays continuously on
 * daemon threads, {@value #BATCHES_IN_FLIGHT} batches at a time, until {@link #close()}. Thread-safe.
 */
public final class OutboxRelay implements AutoCloseable {

    /**
     * Batches a started relay works on at once: while one is claimed or marked in the database, another is
     * published, so neither the database nor the publisher threads wait for the other.
     */
    public static final int BATCHES_IN_FLIGHT = 2;

    /** How long {@link #close()} waits for the batches in progress before interrupting them. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final System.Logger LOG = System.getLogger(OutboxRelay.class.getName());
    private static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);
    private static final int PURGE_BATCH_SIZE = 1000;
    private static final int MAX_PURGE_BATCHES = 100;
    private static final Duration MIN_PAUSE_AFTER_FAILURE = Duration.ofSeconds(1);
    private static final int MAX_ERROR_LENGTH = 4000;
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** The longest IN list of one statement. */
    private static final int MAX_IDS_PER_STATEMENT = 1000;
    /** The fewest unfinished messages an ordered claim reads from the oldest on, and from its cursor on. */
    private static final int MIN_WINDOW = 1000;
    /** The fewest unfinished messages an ordered claim reads per query. */
    private static final int MIN_PAGE = 200;

    private final JdbcOutbox outbox;
    private final LocalTransactions transactions;
    private final OutboxSql sql;
    private final Clock clock;
    private final OutboxPublisher publisher;
    private final OutboxRelayConfig config;
    private final ExecutorService publishers;
    private final Object wakeUp = new Object();
    /** Where the moving window of an ordered claim starts next (0: right after the oldest window). */
    private final AtomicLong cursor = new AtomicLong();
    private volatile boolean closed;
    private List<Thread> loops;
    private final AtomicLong nextPurgeNanos = new AtomicLong(System.nanoTime());

    OutboxRelay(JdbcOutbox outbox, OutboxPublisher publisher, OutboxRelayConfig config) {
        this.outbox = outbox;
        this.transactions = outbox.transactions();
        this.sql = outbox.sql();
        this.clock = outbox.clock();
        this.publisher = publisher;
        this.config = config;
        int relay = THREADS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.publishers = config.publishConcurrency() == 1 ? null
                : Executors.newFixedThreadPool(config.publishConcurrency(), runnable -> {
                    Thread thread = new Thread(runnable, "idempotency-outbox-publisher-" + relay + "-"
                            + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /**
     * Starts relaying on {@value #BATCHES_IN_FLIGHT} daemon threads, each relaying batch after batch while
     * batches come back full, otherwise one batch every {@link OutboxRelayConfig#pollInterval()}; they share
     * the relay's {@link OutboxRelayConfig#publishConcurrency() publisher threads}. A failed batch (the database is down, say) is logged
     * and retried after the poll interval, at least a second later. With a
     * {@link OutboxRelayConfig#deliveredRetention() delivered retention}, it also deletes expired delivered
     * messages about once a minute. Calling it again does nothing.
     *
     * @return this relay
     * @throws IllegalStateException if the relay was closed
     */
    public synchronized OutboxRelay start() {
        requireOpen();
        if (loops == null) {
            int relay = THREADS.incrementAndGet();
            loops = new ArrayList<>(BATCHES_IN_FLIGHT);
            for (int i = 1; i <= BATCHES_IN_FLIGHT; i++) {
                Thread loop = new Thread(this::relayUntilClosed, "idempotency-outbox-relay-" + relay + "-" + i);
                loop.setDaemon(true);
                loops.add(loop);
            }
            loops.forEach(Thread::start);
        }
        return this;
    }

    /**
     * Relays one batch on the calling thread: claims up to {@link OutboxRelayConfig#batchSize()} due
     * messages, publishes them, and marks the outcomes.
     *
     * @return how many messages were handed to the publisher (0 when none was due)
     * @throws StoreUnavailableException if the database could not be reached while claiming or marking; the
     *     claimed messages are published again after their lease
     * @throws StoreException if the database failed otherwise
     * @throws Error whatever {@link Error} the publisher threw: nothing of the batch was marked, as after a
     *     crash
     * @throws CancellationException if the thread was interrupted while waiting for the publisher threads;
     *     nothing of the batch was marked
     * @throws IllegalStateException if the relay was closed
     */
    public int runOnce() {
        requireOpen();
        return relayBatch().published();
    }

    /** This relay's configuration. */
    public OutboxRelayConfig config() {
        return config;
    }

    /**
     * Stops relaying: waits up to {@link #CLOSE_TIMEOUT} for the batches in progress to be marked, then
     * interrupts them, and stops the publisher threads. Messages of an interrupted batch are published again after their
     * lease. Idempotent.
     */
    @Override
    public void close() {
        List<Thread> running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = loops == null ? List.of() : loops;
        }
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        try {
            long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
            for (Thread loop : running) {
                loop.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if (loop.isAlive()) {
                    LOG.log(Level.WARNING, "The outbox relay did not finish its batch within " + CLOSE_TIMEOUT
                            + "; interrupting it. Its messages are published again after their lease.");
                    loop.interrupt();
                    loop.join(1000);
                }
            }
            if (publishers != null) {
                publishers.shutdown();
                if (!publishers.awaitTermination(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    publishers.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (publishers != null) {
                publishers.shutdownNow();
            }
        }
    }

    @Override
    public String toString() {
        return "OutboxRelay[" + outbox + ", " + config + (closed ? ", closed" : "") + "]";
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("This outbox relay was closed; create a new one with JdbcOutbox.relay");
        }
    }

    private void relayUntilClosed() {
        while (!closed) {
            Duration pause = config.pollInterval();
            try {
                BatchResult result = relayBatch();
                purgeDeliveredIfDue();
                if (result.claimed() >= config.batchSize()) {
                    continue;
                }
            } catch (Throwable e) {
                if (closed) {
                    break;
                }
                if (pause.compareTo(MIN_PAUSE_AFTER_FAILURE) < 0) {
                    pause = MIN_PAUSE_AFTER_FAILURE;
                }
                // The relay keeps going: its messages are published again once their lease ends.
                LOG.log(Level.WARNING, "An outbox relay batch failed; its claimed messages are published again after "
                        + "their lease. Next batch in " + pause, e);
            }
            synchronized (wakeUp) {
                if (!closed) {
                    try {
                        wakeUp.wait(Math.max(1, pause.toMillis()));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    private void purgeDeliveredIfDue() {
        long due = nextPurgeNanos.get();
        if (config.deliveredRetention().isZero() || System.nanoTime() - due < 0
                || !nextPurgeNanos.compareAndSet(due, System.nanoTime() + PURGE_INTERVAL.toNanos())) {
            return;
        }
        Instant cutoff = clock.instant().minus(config.deliveredRetention());
        try {
            for (int batch = 0; batch < MAX_PURGE_BATCHES; batch++) {
                if (outbox.purgeDelivered(cutoff, PURGE_BATCH_SIZE) < PURGE_BATCH_SIZE) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            // Delivered messages kept a little longer change nothing; the next purge tries again.
            LOG.log(Level.WARNING, "Purging delivered outbox messages failed; retrying in " + PURGE_INTERVAL, e);
        }
    }

    // ---- one batch: claim, publish, mark ----

    private record Claimed(OutboxMessage message, long seq, int attempt) {
    }

    private record Batch(long leaseToken, Instant leaseEnd, List<List<Claimed>> units, int size) {
    }

    private enum Mark { DELIVERED, RETRY, DEAD, RELEASE }

    private record Outcome(Claimed claimed, Mark mark, Instant availableAt, String error, boolean published) {
    }

    private record BatchResult(int claimed, int published) {
    }

    private BatchResult relayBatch() {
        Batch batch = claim();
        if (batch.size() == 0) {
            return new BatchResult(0, 0);
        }
        List<Outcome> outcomes = publish(batch);
        mark(batch, outcomes);
        int published = (int) outcomes.stream().filter(Outcome::published).count();
        return new BatchResult(batch.size(), published);
    }

    private Batch claim() {
        Instant now = clock.instant();
        Instant leaseEnd = now.plus(config.leaseDuration());
        long token = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        try (LocalTransaction transaction = transactions.begin()) {
            Connection connection = transaction.connection();
            List<List<Claimed>> units = config.orderedPerKey() ? claimRuns(connection, now)
                    : claimDue(connection, now);
            if (units.isEmpty()) {
                return new Batch(token, leaseEnd, List.of(), 0);
            }
            List<String> ids = units.stream().flatMap(List::stream).map(claimed -> claimed.message().id()).toList();
            for (List<String> chunk : chunks(ids)) {
                try (PreparedStatement ps = connection.prepareStatement(sql.lease(chunk.size()))) {
                    ps.setObject(1, SqlValues.timestamp(leaseEnd));
                    ps.setLong(2, token);
                    ps.setObject(3, SqlValues.timestamp(now));
                    bindIds(ps, 4, chunk);
                    ps.executeUpdate();
                }
            }
            int size = ids.size();
            transaction.commit();
            return new Batch(token, leaseEnd, units, size);
        } catch (SQLException e) {
            throw SqlErrors.translate("claiming outbox messages", e);
        }
    }

    /** Without ordering: the earliest due messages, each a unit of its own. */
    private List<List<Claimed>> claimDue(Connection connection, Instant now) throws SQLException {
        List<List<Claimed>> units = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql.claimDue())) {
            ps.setObject(1, SqlValues.timestamp(now));
            ps.setInt(2, config.batchSize());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    units.add(List.of(new Claimed(sql.message(rs), rs.getLong(7), rs.getInt(8) + 1)));
                }
            }
        }
        return units;
    }

    /** An unfinished message as a window shows it: enough to decide whether it can be claimed. */
    private record WindowRow(long seq, String id, String key, boolean due) {
    }

    /**
     * With ordering: runs of due messages, each the first unfinished message of its key (its head) followed
     * by the next unfinished messages of the key as long as they are due too, or a single message without a
     * key. Picked from a window of the oldest unfinished messages read without locks; when that window does
     * not fill the batch (the oldest messages are blocked, backing off or in flight), also from a window that
     * moves further on at each claim, so that no key waits behind blocked ones for good. The picked messages
     * are then locked, skipping those another relay holds, and checked again: a run whose head could not be
     * had is dropped, and a run is cut at the first follower that could not.
     */
    private List<List<Claimed>> claimRuns(Connection connection, Instant now) throws SQLException {
        int window = Math.max(MIN_WINDOW, 4 * config.batchSize());
        int page = Math.max(MIN_PAGE, 2 * config.batchSize());
        RunPicker oldest = new RunPicker(config.batchSize());
        long after = 0;
        int read = 0;
        boolean exhausted = false;
        while (oldest.room() > 0 && read < window && !exhausted) {
            int size = Math.min(page, window - read);
            List<WindowRow> rows = readWindow(connection, after, size, now);
            oldest.pick(rows);
            read += rows.size();
            exhausted = rows.size() < size;
            if (!rows.isEmpty()) {
                after = rows.get(rows.size() - 1).seq();
            }
        }
        List<List<WindowRow>> runs = new ArrayList<>(oldest.runs());
        if (oldest.room() > 0 && !exhausted) {
            long from = Math.max(cursor.get(), after);
            List<WindowRow> further = readWindow(connection, from, window, now);
            cursor.set(further.size() < window ? 0 : further.get(further.size() - 1).seq());
            // A key's first message in this window is its head only if nothing of the key is unfinished before
            // the window; keys that are blocked so are skipped before they take up room.
            List<String> keys = further.stream().map(WindowRow::key).filter(key -> key != null).distinct().toList();
            RunPicker next = new RunPicker(oldest.room());
            next.closed.addAll(keys.isEmpty() ? Set.of() : keysUnfinishedBefore(connection, keys, from));
            next.pick(further);
            runs.addAll(next.runs());
        }
        if (runs.isEmpty()) {
            return List.of();
        }
        Map<String, Claimed> locked = lockPicked(connection, runs, now);
        List<List<Claimed>> units = new ArrayList<>(runs.size());
        for (List<WindowRow> run : runs) {
            List<Claimed> unit = new ArrayList<>(run.size());
            for (WindowRow row : run) {
                Claimed claimed = locked.get(row.id());
                if (claimed == null) {
                    break;
                }
                unit.add(claimed);
            }
            if (!unit.isEmpty()) {
                units.add(unit);
            }
        }
        return units;
    }

    private List<WindowRow> readWindow(Connection connection, long afterSeq, int size, Instant now)
            throws SQLException {
        List<WindowRow> rows = new ArrayList<>(Math.min(size, 1024));
        try (PreparedStatement ps = connection.prepareStatement(sql.unfinishedWindow())) {
            ps.setLong(1, afterSeq);
            ps.setInt(2, size);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean due = "PENDING".equals(rs.getString(4)) && !SqlValues.instant(rs, 5).isAfter(now);
                    rows.add(new WindowRow(rs.getLong(1), rs.getString(2), rs.getString(3), due));
                }
            }
        }
        return rows;
    }

    /**
     * Walks unfinished messages in enqueue order, one page after the other, and picks the runs it can claim,
     * up to a number of messages: a key's run starts at its first message seen if that is due, and ends at
     * the key's first message that is not.
     */
    private static final class RunPicker {

        private final List<List<WindowRow>> runs = new ArrayList<>();
        private final Map<String, List<WindowRow>> open = new HashMap<>();
        private final Set<String> closed = new HashSet<>();
        private int room;

        RunPicker(int room) {
            this.room = room;
        }

        void pick(List<WindowRow> rows) {
            for (WindowRow row : rows) {
                if (room == 0) {
                    return;
                }
                if (row.key() == null) {
                    if (row.due()) {
                        runs.add(List.of(row));
                        room--;
                    }
                    continue;
                }
                if (closed.contains(row.key())) {
                    continue;
                }
                if (!row.due()) {
                    closed.add(row.key());
                    open.remove(row.key());
                    continue;
                }
                List<WindowRow> run = open.get(row.key());
                if (run == null) {
                    run = new ArrayList<>();
                    open.put(row.key(), run);
                    runs.add(run);
                }
                run.add(row);
                room--;
            }
        }

        List<List<WindowRow>> runs() {
            return runs;
        }

        int room() {
            return room;
        }
    }

    private Set<String> keysUnfinishedBefore(Connection connection, List<String> keys, long seq)
            throws SQLException {
        Set<String> blocked = new HashSet<>();
        for (List<String> chunk : chunks(keys)) {
            try (PreparedStatement ps = connection.prepareStatement(sql.keysUnfinishedBefore(chunk.size()))) {
                bindIds(ps, 1, chunk);
                ps.setLong(chunk.size() + 1, seq);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        blocked.add(rs.getString(1));
                    }
                }
            }
        }
        return blocked;
    }

    /** Locks the picked messages; only those locked and still due now are returned, by id. */
    private Map<String, Claimed> lockPicked(Connection connection, List<List<WindowRow>> runs, Instant now)
            throws SQLException {
        List<String> ids = runs.stream().flatMap(List::stream).map(WindowRow::id).toList();
        Map<String, Claimed> locked = new HashMap<>();
        for (List<String> chunk : chunks(ids)) {
            try (PreparedStatement ps = connection.prepareStatement(sql.lockPicked(chunk.size()))) {
                bindIds(ps, 1, chunk);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if ("PENDING".equals(rs.getString(9)) && !SqlValues.instant(rs, 10).isAfter(now)) {
                            OutboxMessage message = sql.message(rs);
                            locked.put(message.id(), new Claimed(message, rs.getLong(7), rs.getInt(8) + 1));
                        }
                    }
                }
            }
        }
        return locked;
    }

    private List<Outcome> publish(Batch batch) {
        List<List<Claimed>> units = batch.units();
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        if (publishers == null || units.size() == 1) {
            for (List<Claimed> unit : units) {
                outcomes.addAll(publishUnit(unit, batch.leaseEnd()));
            }
            return outcomes;
        }
        List<Future<List<Outcome>>> futures = new ArrayList<>(units.size());
        for (List<Claimed> unit : units) {
            futures.add(publishers.submit(() -> publishUnit(unit, batch.leaseEnd())));
        }
        Throwable failure = null;
        for (Future<List<Outcome>> future : futures) {
            try {
                outcomes.addAll(future.get());
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                } else {
                    failure.addSuppressed(e.getCause());
                }
            } catch (InterruptedException e) {
                futures.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new CancellationException("Interrupted while publishing outbox messages; nothing of the batch "
                        + "was marked, so its messages are published again after their lease");
            }
        }
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure != null) {
            throw new IllegalStateException("Publishing outbox messages failed", failure);
        }
        return outcomes;
    }

    /**
     * Publishes one unit: a single message, or a key's run in order. The first message of a run that is not
     * delivered stops it; the rest are given back without counting an attempt.
     */
    private List<Outcome> publishUnit(List<Claimed> unit, Instant leaseEnd) {
        List<Outcome> outcomes = new ArrayList<>(unit.size());
        boolean stopped = false;
        for (Claimed claimed : unit) {
            if (stopped || !clock.instant().isBefore(leaseEnd)) {
                // Publishing after the lease ended could run beside another relay's re-publication.
                outcomes.add(new Outcome(claimed, Mark.RELEASE, null, null, false));
                stopped = true;
                continue;
            }
            if (claimed.attempt() > config.maxAttempts()) {
                outcomes.add(new Outcome(claimed, Mark.DEAD, null, "No outcome after " + (claimed.attempt() - 1)
                        + " attempts: the relay stopped, failed to mark, or lost its lease while publishing", false));
                stopped = true;
                continue;
            }
            PublishResult result;
            try {
                result = publisher.publish(claimed.message(), claimed.attempt());
                if (result == null) {
                    result = PublishResult.retry("The publisher " + publisher + " returned null");
                }
            } catch (Exception e) {
                result = PublishResult.retry(describe(e));
            }
            Outcome outcome = judge(claimed, result);
            outcomes.add(outcome);
            stopped = outcome.mark() != Mark.DELIVERED;
        }
        return outcomes;
    }

    private Outcome judge(Claimed claimed, PublishResult result) {
        if (result instanceof PublishResult.Delivered) {
            return new Outcome(claimed, Mark.DELIVERED, null, null, true);
        }
        if (result instanceof PublishResult.Rejected rejected) {
            return new Outcome(claimed, Mark.DEAD, null, truncate(rejected.error()), true);
        }
        PublishResult.Retry retry = (PublishResult.Retry) result;
        if (claimed.attempt() >= config.maxAttempts()) {
            return new Outcome(claimed, Mark.DEAD, null, truncate(retry.error()), true);
        }
        Instant due = clock.instant().plus(delay(claimed.attempt(), retry.after()));
        return new Outcome(claimed, Mark.RETRY, due, truncate(retry.error()), true);
    }

    /** The backoff after failed attempt {@code attempt} with equal jitter, at least the requested wait. */
    private Duration delay(int attempt, Optional<Duration> requested) {
        long ceiling = config.backoff(attempt).toMillis();
        long half = ceiling / 2;
        long millis = ceiling - half + ThreadLocalRandom.current().nextLong(half + 1);
        Duration delay = Duration.ofMillis(millis);
        if (requested.isPresent()) {
            Duration wait = requested.get().compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : requested.get();
            if (wait.compareTo(delay) > 0) {
                delay = wait;
            }
        }
        return delay;
    }

    private void mark(Batch batch, List<Outcome> outcomes) {
        Map<Mark, List<Outcome>> byMark = new EnumMap<>(Mark.class);
        for (Outcome outcome : outcomes) {
            byMark.computeIfAbsent(outcome.mark(), mark -> new ArrayList<>()).add(outcome);
        }
        byMark.values().forEach(list -> list.sort(Comparator.comparingLong(outcome -> outcome.claimed().seq())));
        Instant now = clock.instant();
        boolean keepDelivered = !config.deliveredRetention().isZero();
        int changed = 0;
        try (LocalTransaction transaction = transactions.begin()) {
            Connection connection = transaction.connection();
            for (Map.Entry<Mark, List<Outcome>> entry : byMark.entrySet()) {
                List<Outcome> marked = entry.getValue();
                switch (entry.getKey()) {
                    case DELIVERED -> {
                        for (List<String> chunk : chunks(ids(marked))) {
                            String statement = keepDelivered ? sql.markDelivered(chunk.size())
                                    : sql.deleteDelivered(chunk.size());
                            try (PreparedStatement ps = connection.prepareStatement(statement)) {
                                int next = 1;
                                if (keepDelivered) {
                                    ps.setObject(next++, SqlValues.timestamp(now));
                                }
                                ps.setLong(next++, batch.leaseToken());
                                bindIds(ps, next, chunk);
                                changed += ps.executeUpdate();
                            }
                        }
                    }
                    case RELEASE -> {
                        for (List<String> chunk : chunks(ids(marked))) {
                            try (PreparedStatement ps = connection.prepareStatement(sql.release(chunk.size()))) {
                                ps.setObject(1, SqlValues.timestamp(now));
                                ps.setLong(2, batch.leaseToken());
                                bindIds(ps, 3, chunk);
                                changed += ps.executeUpdate();
                            }
                        }
                    }
                    case RETRY, DEAD -> {
                        boolean retry = entry.getKey() == Mark.RETRY;
                        try (PreparedStatement ps = connection.prepareStatement(
                                retry ? sql.markRetry() : sql.markDead())) {
                            for (Outcome outcome : marked) {
                                int next = 1;
                                if (retry) {
                                    ps.setObject(next++, SqlValues.timestamp(outcome.availableAt()));
                                }
                                ps.setString(next++, outcome.error());
                                ps.setString(next++, outcome.claimed().message().id());
                                ps.setLong(next, batch.leaseToken());
                                ps.addBatch();
                            }
                            for (int count : ps.executeBatch()) {
                                changed += count == Statement.SUCCESS_NO_INFO ? 1 : count;
                            }
                        }
                    }
                }
            }
            transaction.commit();
        } catch (SQLException e) {
            throw SqlErrors.translate("marking " + outcomes.size() + " outbox messages after publishing them (they "
                    + "are published again after their lease)", e);
        }
        if (changed < outcomes.size()) {
            LOG.log(Level.WARNING, (outcomes.size() - changed) + " of " + outcomes.size() + " outbox messages had "
                    + "lost their lease before they were marked (the batch outlived the lease of "
                    + config.leaseDuration() + "); another relay publishes them again");
        }
    }

    private static List<String> ids(List<Outcome> outcomes) {
        return outcomes.stream().map(outcome -> outcome.claimed().message().id()).toList();
    }

    /** {@code ids} (or keys) in slices of at most {@value #MAX_IDS_PER_STATEMENT}, for IN lists. */
    private static List<List<String>> chunks(List<String> ids) {
        List<List<String>> chunks = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += MAX_IDS_PER_STATEMENT) {
            chunks.add(ids.subList(from, Math.min(ids.size(), from + MAX_IDS_PER_STATEMENT)));
        }
        return chunks;
    }

    private static void bindIds(PreparedStatement ps, int first, List<String> ids) throws SQLException {
        for (int i = 0; i < ids.size(); i++) {
            ps.setString(first + i, ids.get(i));
        }
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getName() : e.getClass().getName() + ": " + e.getMessage();
    }

    private static String truncate(String error) {
        return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
    }
}
