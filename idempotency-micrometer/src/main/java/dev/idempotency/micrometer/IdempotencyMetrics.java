package dev.idempotency.micrometer;

import dev.idempotency.ExecutionMode;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.event.OutboxEvent;
import dev.idempotency.event.PurgeEvent;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.RequestOutcome;
import dev.idempotency.event.WebhookVerificationEvent;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxBacklog;
import dev.idempotency.micrometer.internal.CachedReading;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The library's metrics on a Micrometer {@link MeterRegistry}: an {@link IdempotencyListener} that counts and
 * times what the library reports, plus gauges of the outbox's backlog and of the expired records the purge
 * has not deleted yet. Usable with or without Spring:
 *
 * <pre>{@code
 * IdempotencyMetrics metrics = IdempotencyMetrics.create(registry)
 *         .bindOutbox(outbox)               // idempotency.outbox.pending, .oldest.age, .dead
 *         .bindPurgeBacklog(store);         // idempotency.purge.backlog
 * IdempotencyFilter filter = IdempotencyFilter.builder(store).listener(metrics).build();
 * }</pre>
 *
 * <p>The meters, whose names and tags are stable (docs/observability.md has the table):
 * <ul>
 * <li>{@value #REQUESTS}, counter, tags {@code outcome} ({@link RequestOutcome#tag()}) and {@code mode}
 * ({@code transaction}, {@code lease}); registered at zero for every pair when this is created;</li>
 * <li>{@value #CLAIM} and {@value #COMPLETE}, timers, tag {@code mode}: the store's claim of a key, and the
 * storing of an outcome (in transaction mode, its insert and the commit);</li>
 * <li>{@value #OUTBOX_PUBLISHED}, counter; {@value #OUTBOX_FAILURES}, counter, tag {@code result}
 * ({@code retry}, {@code dead}); and, once {@link #bindOutbox bound}, gauges {@value #OUTBOX_PENDING},
 * {@value #OUTBOX_OLDEST_AGE} (seconds) and {@value #OUTBOX_DEAD};</li>
 * <li>{@value #INBOX_MESSAGES}, counter, tag {@code result} ({@code processed}, {@code duplicate},
 * {@code reused});</li>
 * <li>{@value #WEBHOOK_VERIFICATIONS}, counter, tag {@code result} ({@code verified} or a refusal reason);</li>
 * <li>{@value #PURGE_DELETED}, counter, tag {@code target} ({@code records}, {@code inbox}, {@code outbox});
 * and, once {@link #bindPurgeBacklog bound}, gauge {@value #PURGE_BACKLOG}.</li>
 * </ul>
 * No tag carries a key, a scope, a path or any other value a client chooses.
 *
 * <p>The gauges read the database at most once per refresh interval ({@link #DEFAULT_BACKLOG_REFRESH} by
 * default), on the thread that scrapes once the value is stale, however often and by however many scrapers
 * they are read. Thread-safe.
 */
public final class IdempotencyMetrics implements IdempotencyListener {

    /** Answers to covered requests. */
    public static final String REQUESTS = "idempotency.requests";
    /** Time to claim a key in the store. */
    public static final String CLAIM = "idempotency.store.claim";
    /** Time to store an outcome (and, in transaction mode, commit). */
    public static final String COMPLETE = "idempotency.store.complete";
    /** Outbox messages pending (waiting, in flight or backing off). */
    public static final String OUTBOX_PENDING = "idempotency.outbox.pending";
    /** Age of the oldest pending outbox message: the relays' lag. */
    public static final String OUTBOX_OLDEST_AGE = "idempotency.outbox.oldest.age";
    /** Dead outbox messages. */
    public static final String OUTBOX_DEAD = "idempotency.outbox.dead";
    /** Outbox messages delivered. */
    public static final String OUTBOX_PUBLISHED = "idempotency.outbox.published";
    /** Outbox publications that failed. */
    public static final String OUTBOX_FAILURES = "idempotency.outbox.failures";
    /** Inbox deliveries. */
    public static final String INBOX_MESSAGES = "idempotency.inbox.messages";
    /** Webhook signature checks. */
    public static final String WEBHOOK_VERIFICATIONS = "idempotency.webhooks.verifications";
    /** Rows the purges deleted. */
    public static final String PURGE_DELETED = "idempotency.purge.deleted";
    /** Expired records not purged yet, counted up to {@link #PURGE_BACKLOG_CAP}. */
    public static final String PURGE_BACKLOG = "idempotency.purge.backlog";

    /** How long a backlog gauge keeps a value before it reads the database again, unless told otherwise. */
    public static final Duration DEFAULT_BACKLOG_REFRESH = Duration.ofSeconds(15);

    /** The purge backlog gauge counts expired records up to this many; it reads this when there are more. */
    public static final long PURGE_BACKLOG_CAP = 100_000;

    private final MeterRegistry registry;
    /** By outcome, then mode: looked up by ordinal, no map on the request path. */
    private final Counter[][] requests;
    private final Timer[] claims;
    private final Timer[] completes;
    private final Counter published;
    private final Counter retried;
    private final Counter dead;
    private final Map<InboxEvent.Result, Counter> inbox = new ConcurrentHashMap<>();
    private final Map<PurgeEvent.Target, Counter> purged = new ConcurrentHashMap<>();
    private final Map<String, Counter> verifications = new ConcurrentHashMap<>();

    private IdempotencyMetrics(MeterRegistry registry) {
        this.registry = registry;
        RequestOutcome[] outcomes = RequestOutcome.values();
        ExecutionMode[] modes = ExecutionMode.values();
        this.requests = new Counter[outcomes.length][modes.length];
        this.claims = new Timer[modes.length];
        this.completes = new Timer[modes.length];
        for (ExecutionMode mode : modes) {
            for (RequestOutcome outcome : outcomes) {
                requests[outcome.ordinal()][mode.ordinal()] = Counter.builder(REQUESTS)
                        .description("Answers to requests the Idempotency-Key protocol covers")
                        .tag("outcome", outcome.tag()).tag("mode", tag(mode)).register(registry);
            }
            claims[mode.ordinal()] = Timer.builder(CLAIM).description("Time to claim an idempotency key in the store")
                    .tag("mode", tag(mode)).register(registry);
            completes[mode.ordinal()] = Timer.builder(COMPLETE)
                    .description("Time to store an outcome (in transaction mode with its commit)")
                    .tag("mode", tag(mode)).register(registry);
        }
        this.published = Counter.builder(OUTBOX_PUBLISHED).description("Outbox messages delivered by the relays")
                .register(registry);
        this.retried = failures("retry");
        this.dead = failures("dead");
    }

    /**
     * Metrics on {@code registry}; every request counter and timer is registered now, at zero.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public static IdempotencyMetrics create(MeterRegistry registry) {
        return new IdempotencyMetrics(Objects.requireNonNull(registry, "registry"));
    }

    /** {@link #bindOutbox(JdbcOutbox, Duration)} with {@link #DEFAULT_BACKLOG_REFRESH}. */
    public IdempotencyMetrics bindOutbox(JdbcOutbox outbox) {
        return bindOutbox(outbox, DEFAULT_BACKLOG_REFRESH);
    }

    /**
     * Registers the gauges {@value #OUTBOX_PENDING}, {@value #OUTBOX_OLDEST_AGE} (seconds since the oldest
     * pending message was enqueued, by the registry's clock; 0 when none is pending) and {@value #OUTBOX_DEAD},
     * from one {@link JdbcOutbox#backlog()} query at most every {@code refresh}. They read {@code NaN} while the
     * database cannot be read. One outbox per registry: a second one's gauges are not registered.
     *
     * @return this
     * @throws IllegalArgumentException if {@code refresh} is not positive
     */
    public IdempotencyMetrics bindOutbox(JdbcOutbox outbox, Duration refresh) {
        Objects.requireNonNull(outbox, "outbox");
        CachedReading<OutboxBacklog> backlog = new CachedReading<>("the outbox backlog", outbox::backlog,
                nanos(refresh), registry.config().clock()::monotonicTime);
        gauge(OUTBOX_PENDING, "Outbox messages waiting, in flight or backing off", null, backlog,
                b -> b.pending());
        gauge(OUTBOX_OLDEST_AGE, "Time the oldest pending outbox message has waited: the relays' lag", "seconds",
                backlog, b -> b.lag(Instant.ofEpochMilli(registry.config().clock().wallTime())).toMillis() / 1000.0);
        gauge(OUTBOX_DEAD, "Dead outbox messages waiting to be re-queued or discarded", null, backlog,
                b -> b.dead());
        return this;
    }

    /** {@link #bindPurgeBacklog(JdbcIdempotencyStore, Duration)} with {@link #DEFAULT_BACKLOG_REFRESH}. */
    public IdempotencyMetrics bindPurgeBacklog(JdbcIdempotencyStore store) {
        return bindPurgeBacklog(store, DEFAULT_BACKLOG_REFRESH);
    }

    /**
     * Registers the gauge {@value #PURGE_BACKLOG}: the idempotency records that expired (by the registry's
     * clock) and are not purged yet, an exact count up to {@link #PURGE_BACKLOG_CAP}, which it reads when there
     * are more ({@link JdbcIdempotencyStore#expiredRecords}); read at most every {@code refresh}. A purge that
     * keeps up holds it near zero between runs.
     *
     * @return this
     * @throws IllegalArgumentException if {@code refresh} is not positive
     */
    public IdempotencyMetrics bindPurgeBacklog(JdbcIdempotencyStore store, Duration refresh) {
        Objects.requireNonNull(store, "store");
        CachedReading<Long> backlog = new CachedReading<>("the expired idempotency records",
                () -> store.expiredRecords(Instant.ofEpochMilli(registry.config().clock().wallTime()),
                        PURGE_BACKLOG_CAP),
                nanos(refresh), registry.config().clock()::monotonicTime);
        gauge(PURGE_BACKLOG, "Expired idempotency records not purged yet (exact up to "
                + PURGE_BACKLOG_CAP + ")", null, backlog, Long::doubleValue);
        return this;
    }

    @Override
    public void onRequest(RequestEvent event) {
        int mode = event.mode().ordinal();
        requests[event.outcome().ordinal()][mode].increment();
        event.claimDuration().ifPresent(d -> claims[mode].record(d.toNanos(), TimeUnit.NANOSECONDS));
        event.completeDuration().ifPresent(d -> completes[mode].record(d.toNanos(), TimeUnit.NANOSECONDS));
    }

    @Override
    public void onPurge(PurgeEvent event) {
        purged.computeIfAbsent(event.target(), target -> Counter.builder(PURGE_DELETED)
                .description("Rows deleted by the purges").tag("target", target.tag()).register(registry))
                .increment(event.deleted());
    }

    @Override
    public void onInboxMessage(InboxEvent event) {
        inbox.computeIfAbsent(event.result(), result -> Counter.builder(INBOX_MESSAGES)
                .description("Inbox deliveries by what the inbox made of them").tag("result", result.tag())
                .register(registry)).increment();
    }

    @Override
    public void onOutboxBatch(OutboxEvent event) {
        published.increment(event.published());
        retried.increment(event.retried());
        dead.increment(event.dead());
    }

    @Override
    public void onWebhookVerification(WebhookVerificationEvent event) {
        verifications.computeIfAbsent(event.result(), result -> Counter.builder(WEBHOOK_VERIFICATIONS)
                .description("Webhook signature checks by result").tag("result", result).register(registry))
                .increment();
    }

    @Override
    public String toString() {
        return "IdempotencyMetrics[" + registry.getClass().getSimpleName() + "]";
    }

    private Counter failures(String result) {
        return Counter.builder(OUTBOX_FAILURES).description("Outbox publications that failed, by what became of "
                + "the message").tag("result", result).register(registry);
    }

    private <T> void gauge(String name, String description, String unit, CachedReading<T> reading,
            ToDoubleFunction<T> value) {
        Gauge.builder(name, reading, r -> {
            T read = r.get();
            return read == null ? Double.NaN : value.applyAsDouble(read);
        }).description(description).baseUnit(unit).strongReference(true).register(registry);
    }

    private static String tag(ExecutionMode mode) {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    private static long nanos(Duration refresh) {
        Objects.requireNonNull(refresh, "refresh");
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("refresh must be positive, not " + refresh);
        }
        return refresh.toNanos();
    }
}
