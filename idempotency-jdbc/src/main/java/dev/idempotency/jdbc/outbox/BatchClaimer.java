package dev.idempotency.jdbc.outbox;

import dev.idempotency.jdbc.internal.LocalTransaction;
import dev.idempotency.jdbc.internal.LocalTransactions;
import dev.idempotency.jdbc.internal.OutboxSql;
import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.jdbc.outbox.ClaimedBatch.Message;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A relay's first step: claims a batch in one short transaction. It picks due messages (without ordering, the
 * earliest; with ordering, runs that each start at the first unfinished message of their key, from a window of
 * the oldest unfinished messages and one that moves on at each claim), locks them with
 * {@code FOR UPDATE SKIP LOCKED} so that concurrent relays skip each other's messages, gives them a fresh lease
 * token, makes them due again only when the lease ends, and counts the attempt. Thread-safe: the batches a
 * started relay has in flight claim at once.
 */
final class BatchClaimer {

    /** The fewest unfinished messages an ordered claim reads from the oldest on, and from its cursor on. */
    private static final int MIN_WINDOW = 1000;
    /** The fewest unfinished messages an ordered claim reads per query. */
    private static final int MIN_PAGE = 200;

    private final LocalTransactions transactions;
    private final OutboxSql sql;
    private final Clock clock;
    private final OutboxRelayConfig config;
    /** Where the moving window of an ordered claim starts next (0: right after the oldest window). */
    private final AtomicLong cursor = new AtomicLong();

    BatchClaimer(LocalTransactions transactions, OutboxSql sql, Clock clock, OutboxRelayConfig config) {
        this.transactions = transactions;
        this.sql = sql;
        this.clock = clock;
        this.config = config;
    }

    /**
     * Claims up to a batch of due messages and leases them to this relay.
     *
     * @throws dev.idempotency.spi.StoreException if the database failed; nothing was claimed
     */
    ClaimedBatch claim() {
        Instant now = clock.instant();
        Instant leaseEnd = now.plus(config.leaseDuration());
        long token = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        try (LocalTransaction transaction = transactions.begin()) {
            Connection connection = transaction.connection();
            List<List<Message>> units = config.orderedPerKey() ? claimRuns(connection, now)
                    : claimDue(connection, now);
            if (units.isEmpty()) {
                return ClaimedBatch.empty(token, leaseEnd);
            }
            List<String> ids = units.stream().flatMap(List::stream).map(Message::id).toList();
            for (List<String> chunk : sql.slices(ids)) {
                try (PreparedStatement ps = connection.prepareStatement(sql.lease(chunk.size()))) {
                    ps.setObject(1, sql.timestamp(leaseEnd));
                    ps.setLong(2, token);
                    ps.setObject(3, sql.timestamp(now));
                    sql.bindIds(ps, 4, chunk);
                    ps.executeUpdate();
                }
            }
            int size = ids.size();
            transaction.commit();
            return new ClaimedBatch(token, leaseEnd, units, size);
        } catch (SQLException e) {
            throw SqlErrors.translate("claiming outbox messages", e);
        }
    }

    /** Without ordering: the earliest due messages, each a unit of its own. */
    private List<List<Message>> claimDue(Connection connection, Instant now) throws SQLException {
        List<List<Message>> units = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql.claimDue())) {
            ps.setObject(1, sql.timestamp(now));
            ps.setInt(2, config.batchSize());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    units.add(List.of(new Message(sql.message(rs), rs.getLong(7), rs.getInt(8) + 1)));
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
    private List<List<Message>> claimRuns(Connection connection, Instant now) throws SQLException {
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
        Map<String, Message> locked = lockPicked(connection, runs, now);
        List<List<Message>> units = new ArrayList<>(runs.size());
        for (List<WindowRow> run : runs) {
            List<Message> unit = new ArrayList<>(run.size());
            for (WindowRow row : run) {
                Message claimed = locked.get(row.id());
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
                    boolean due = "PENDING".equals(rs.getString(4)) && !sql.instant(rs, 5).isAfter(now);
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
        for (List<String> chunk : sql.slices(keys)) {
            try (PreparedStatement ps = connection.prepareStatement(sql.keysUnfinishedBefore(chunk.size()))) {
                sql.bindIds(ps, 1, chunk);
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
    private Map<String, Message> lockPicked(Connection connection, List<List<WindowRow>> runs, Instant now)
            throws SQLException {
        List<String> ids = runs.stream().flatMap(List::stream).map(WindowRow::id).toList();
        Map<String, Message> locked = new HashMap<>();
        for (List<String> chunk : sql.slices(ids)) {
            try (PreparedStatement ps = connection.prepareStatement(sql.lockPicked(chunk.size()))) {
                sql.bindIds(ps, 1, chunk);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if ("PENDING".equals(rs.getString(9)) && !sql.instant(rs, 10).isAfter(now)) {
                            OutboxMessage message = sql.message(rs);
                            locked.put(message.id(), new Message(message, rs.getLong(7), rs.getInt(8) + 1));
                        }
                    }
                }
            }
        }
        return locked;
    }
}
