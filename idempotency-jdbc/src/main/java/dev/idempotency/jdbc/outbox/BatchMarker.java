package dev.idempotency.jdbc.outbox;

import dev.idempotency.jdbc.internal.LocalTransaction;
import dev.idempotency.jdbc.internal.LocalTransactions;
import dev.idempotency.jdbc.internal.OutboxSql;
import dev.idempotency.jdbc.internal.SqlErrors;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A relay's third step: marks a published batch in one short transaction, each message as its
 * {@link Marking} says (delivered: deleted or kept for the retention; due again after a backoff; dead; given
 * back unattempted). Every statement names the batch's lease token, so a relay whose lease was taken over
 * changes nothing. Thread-safe.
 */
final class BatchMarker {

    /** The relay's logger: what it says concerns the relay. */
    private static final System.Logger LOG = System.getLogger(OutboxRelay.class.getName());

    private final LocalTransactions transactions;
    private final OutboxSql sql;
    private final Clock clock;
    private final OutboxRelayConfig config;

    BatchMarker(LocalTransactions transactions, OutboxSql sql, Clock clock, OutboxRelayConfig config) {
        this.transactions = transactions;
        this.sql = sql;
        this.clock = clock;
        this.config = config;
    }

    /**
     * Marks the messages of {@code batch} as {@code markings} say.
     *
     * @throws dev.idempotency.spi.StoreException if the database failed; nothing was marked, and the messages
     *     are published again after their lease
     */
    void mark(ClaimedBatch batch, List<Marking> markings) {
        Map<Marking.Mark, List<Marking>> byMark = new EnumMap<>(Marking.Mark.class);
        for (Marking marking : markings) {
            byMark.computeIfAbsent(marking.mark(), mark -> new ArrayList<>()).add(marking);
        }
        byMark.values().forEach(list -> list.sort(Comparator.comparingLong(marking -> marking.claimed().seq())));
        Instant now = clock.instant();
        int changed = 0;
        try (LocalTransaction transaction = transactions.begin()) {
            Connection connection = transaction.connection();
            for (Map.Entry<Marking.Mark, List<Marking>> entry : byMark.entrySet()) {
                List<Marking> marked = entry.getValue();
                changed += switch (entry.getKey()) {
                    case DELIVERED -> markDelivered(connection, batch.leaseToken(), marked, now);
                    case RELEASE -> release(connection, batch.leaseToken(), marked, now);
                    case RETRY, DEAD -> markFailed(connection, batch.leaseToken(), marked,
                            entry.getKey() == Marking.Mark.RETRY);
                };
            }
            transaction.commit();
        } catch (SQLException e) {
            throw SqlErrors.translate("marking " + markings.size() + " outbox messages after publishing them (they "
                    + "are published again after their lease)", e);
        }
        if (changed < markings.size()) {
            LOG.log(Level.WARNING, (markings.size() - changed) + " of " + markings.size() + " outbox messages had "
                    + "lost their lease before they were marked (the batch outlived the lease of "
                    + config.leaseDuration() + "); another relay publishes them again");
        }
    }

    /** Deletes delivered messages, or keeps them as delivered when there is a retention. */
    private int markDelivered(Connection connection, long leaseToken, List<Marking> marked, Instant now)
            throws SQLException {
        boolean keepDelivered = !config.deliveredRetention().isZero();
        int changed = 0;
        for (List<String> chunk : sql.slices(ids(marked))) {
            String statement = keepDelivered ? sql.markDelivered(chunk.size()) : sql.deleteDelivered(chunk.size());
            try (PreparedStatement ps = connection.prepareStatement(statement)) {
                int next = 1;
                if (keepDelivered) {
                    ps.setObject(next++, sql.timestamp(now));
                }
                ps.setLong(next++, leaseToken);
                sql.bindIds(ps, next, chunk);
                changed += ps.executeUpdate();
            }
        }
        return changed;
    }

    private int release(Connection connection, long leaseToken, List<Marking> marked, Instant now)
            throws SQLException {
        int changed = 0;
        for (List<String> chunk : sql.slices(ids(marked))) {
            try (PreparedStatement ps = connection.prepareStatement(sql.release(chunk.size()))) {
                ps.setObject(1, sql.timestamp(now));
                ps.setLong(2, leaseToken);
                sql.bindIds(ps, 3, chunk);
                changed += ps.executeUpdate();
            }
        }
        return changed;
    }

    /** Schedules the retries, or marks the messages dead, each with its error. */
    private int markFailed(Connection connection, long leaseToken, List<Marking> marked, boolean retry)
            throws SQLException {
        int changed = 0;
        try (PreparedStatement ps = connection.prepareStatement(retry ? sql.markRetry() : sql.markDead())) {
            for (Marking marking : marked) {
                int next = 1;
                if (retry) {
                    ps.setObject(next++, sql.timestamp(marking.availableAt()));
                }
                ps.setString(next++, marking.error());
                ps.setString(next++, marking.claimed().id());
                ps.setLong(next, leaseToken);
                ps.addBatch();
            }
            for (int count : ps.executeBatch()) {
                changed += count == Statement.SUCCESS_NO_INFO ? 1 : count;
            }
        }
        return changed;
    }

    private static List<String> ids(List<Marking> markings) {
        return markings.stream().map(marking -> marking.claimed().id()).toList();
    }
}
