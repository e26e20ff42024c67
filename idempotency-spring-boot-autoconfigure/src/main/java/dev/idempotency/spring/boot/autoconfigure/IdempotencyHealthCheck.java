package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxBacklog;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The {@code idempotency} health check, apart from the health API of either Spring Boot line: DOWN when the
 * store's database cannot be reached or its schema is behind the library; UP otherwise, with the purge backlog
 * and, when there is an outbox, its lag and dead letters as details. A growing backlog or a dead letter does not
 * make it DOWN: the instance still answers correctly, and alerts on the metrics say what to do about them.
 *
 * <p>Each check runs three bounded queries: the schema history, the expired records counted up to a cap, and
 * the outbox's unfinished messages.
 */
final class IdempotencyHealthCheck {

    /** The purge backlog detail counts expired records up to this many. */
    static final long PURGE_BACKLOG_CAP = 100_000;

    /** What the check found. */
    record Result(boolean up, Map<String, Object> details, Throwable failure) {
    }

    private final DataSource dataSource;
    private final JdbcIdempotencyStore store;
    private final JdbcOutbox outbox;
    private final Clock clock;

    /**
     * @param outbox the outbox, or {@code null} when the application has none
     */
    IdempotencyHealthCheck(DataSource dataSource, JdbcIdempotencyStore store, JdbcOutbox outbox, Clock clock) {
        this.dataSource = dataSource;
        this.store = store;
        this.outbox = outbox;
        this.clock = clock;
    }

    Result check() {
        Map<String, Object> details = new LinkedHashMap<>();
        try {
            int applied = IdempotencySchema.appliedVersion(dataSource);
            details.put("schemaVersion", applied);
            details.put("schemaVersionExpected", IdempotencySchema.LATEST_VERSION);
            Instant now = clock.instant();
            long expired = store.expiredRecords(now, PURGE_BACKLOG_CAP);
            details.put("purgeBacklog", expired >= PURGE_BACKLOG_CAP ? "at least " + PURGE_BACKLOG_CAP : expired);
            if (outbox != null) {
                OutboxBacklog backlog = outbox.backlog();
                details.put("outboxPending", backlog.pending());
                details.put("outboxLagSeconds", backlog.lag(now).toSeconds());
                details.put("outboxDead", backlog.dead());
            }
            if (applied < IdempotencySchema.LATEST_VERSION) {
                details.put("reason", "the idempotency schema is at version " + applied + ", behind this library's "
                        + IdempotencySchema.LATEST_VERSION + ": apply the library's migrations");
                return new Result(false, details, null);
            }
            return new Result(true, details, null);
        } catch (RuntimeException e) {
            details.put("reason", "the idempotency store's database cannot be read");
            return new Result(false, details, e);
        }
    }
}
