package dev.idempotency.jdbc.outbox;

import dev.idempotency.event.OutboxEvent;
import dev.idempotency.internal.GuardedListener;
import dev.idempotency.internal.Scheduler;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

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
 * daemon threads, {@value #BATCHES_IN_FLIGHT} batches at a time, until {@link #close()}. The relay owns its
 * threads ({@code idempotency-outbox-relay-<n>-1} and {@code -2} once started, and, with a
 * {@link OutboxRelayConfig#publishConcurrency() publish concurrency} above 1,
 * {@code idempotency-outbox-publisher-<n>-<i>}): close it when the application stops. Thread-safe.
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
    private static final Duration MIN_PAUSE_AFTER_FAILURE = Duration.ofSeconds(1);
    /** Numbers the relays of this JVM, for their threads' names. */
    private static final AtomicInteger RELAYS = new AtomicInteger();

    private final JdbcOutbox outbox;
    private final OutboxRelayConfig config;
    private final BatchClaimer claimer;
    private final BatchPublisher publisher;
    private final BatchMarker marker;
    private final DeliveredPurge deliveredPurge;
    /** The threads that relay batch after batch once started. */
    private final Scheduler loops;
    /** The threads that publish the units of a batch side by side; {@code null} to publish on the batch's own. */
    private final Scheduler publishers;
    private final Object wakeUp = new Object();
    private volatile boolean closed;
    private boolean started;

    OutboxRelay(JdbcOutbox outbox, OutboxPublisher publisher, OutboxRelayConfig config) {
        this.outbox = outbox;
        this.config = config;
        this.claimer = new BatchClaimer(outbox.transactions(), outbox.sql(), outbox.clock(), config);
        this.publisher = new BatchPublisher(publisher, outbox.clock(), config, outbox.listener());
        this.marker = new BatchMarker(outbox.transactions(), outbox.sql(), outbox.clock(), config);
        this.deliveredPurge = new DeliveredPurge(outbox, outbox.clock(), config.deliveredRetention());
        int relay = RELAYS.incrementAndGet();
        this.loops = Scheduler.create("outbox-relay-" + relay, BATCHES_IN_FLIGHT);
        this.publishers = config.publishConcurrency() == 1 ? null
                : Scheduler.create("outbox-publisher-" + relay, config.publishConcurrency());
    }

    /**
     * Starts relaying on {@value #BATCHES_IN_FLIGHT} daemon threads, each relaying batch after batch while
     * batches come back full, otherwise one batch every {@link OutboxRelayConfig#pollInterval()}; they share
     * the relay's {@link OutboxRelayConfig#publishConcurrency() publisher threads}. A failed batch (the
     * database is down, say) is logged and retried after the poll interval, at least a second later. With a
     * {@link OutboxRelayConfig#deliveredRetention() delivered retention}, it also deletes expired delivered
     * messages about once a minute. Calling it again does nothing.
     *
     * @return this relay
     * @throws IllegalStateException if the relay was closed
     */
    public synchronized OutboxRelay start() {
        requireOpen();
        if (!started) {
            started = true;
            for (int i = 0; i < BATCHES_IN_FLIGHT; i++) {
                loops.execute(this::relayUntilClosed);
            }
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
     * interrupts them, and stops the publisher threads; returns once the relay's threads have ended. Messages
     * of an interrupted batch are published again after their lease. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        if (!loops.finish(CLOSE_TIMEOUT) && !Thread.currentThread().isInterrupted()) {
            LOG.log(Level.WARNING, "The outbox relay did not finish its batch within " + CLOSE_TIMEOUT
                    + "; interrupting it. Its messages are published again after their lease.");
        }
        loops.close();
        if (publishers != null) {
            publishers.finish(CLOSE_TIMEOUT);
            publishers.close();
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
                deliveredPurge.runIfDue();
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

    private record BatchResult(int claimed, int published) {
    }

    /** One batch: claim, publish, mark; then reported to the outbox's listener. */
    private BatchResult relayBatch() {
        long start = System.nanoTime();
        ClaimedBatch batch = claimer.claim();
        if (batch.size() == 0) {
            return new BatchResult(0, 0);
        }
        List<Marking> markings = publisher.publish(batch, publishers);
        marker.mark(batch, markings);
        int[] counts = new int[Marking.Mark.values().length];
        for (Marking marking : markings) {
            counts[marking.mark().ordinal()]++;
        }
        GuardedListener listener = outbox.listener();
        if (listener.active()) {
            listener.onOutboxBatch(new OutboxEvent(counts[Marking.Mark.DELIVERED.ordinal()],
                    counts[Marking.Mark.RETRY.ordinal()], counts[Marking.Mark.DEAD.ordinal()],
                    counts[Marking.Mark.RELEASE.ordinal()], Duration.ofNanos(System.nanoTime() - start)));
        }
        int published = (int) markings.stream().filter(Marking::published).count();
        return new BatchResult(batch.size(), published);
    }
}
