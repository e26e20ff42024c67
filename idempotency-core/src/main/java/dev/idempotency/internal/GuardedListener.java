package dev.idempotency.internal;

import dev.idempotency.ExecutionMode;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.event.OutboxEvent;
import dev.idempotency.event.PurgeEvent;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.Stage;
import dev.idempotency.event.StageScope;
import dev.idempotency.event.WebhookVerificationEvent;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one way the library calls an {@link IdempotencyListener}: a listener that throws never changes an
 * answer or stops a background job. Its first failure is logged at {@code WARNING}, with the exception, and the
 * later ones at {@code DEBUG}, so a broken listener cannot flood the log at one line per request.
 */
public final class GuardedListener {

    private static final System.Logger LOG = System.getLogger(GuardedListener.class.getName());
    private static final GuardedListener NONE = new GuardedListener(IdempotencyListener.none());

    private final IdempotencyListener listener;
    private final boolean active;
    private final AtomicBoolean failedBefore = new AtomicBoolean();

    private GuardedListener(IdempotencyListener listener) {
        this.listener = listener;
        this.active = listener != IdempotencyListener.none();
    }

    /** {@code listener}, guarded. */
    public static GuardedListener of(IdempotencyListener listener) {
        Objects.requireNonNull(listener, "listener");
        return listener == IdempotencyListener.none() ? NONE : new GuardedListener(listener);
    }

    /** The guarded listener that ignores everything. */
    public static GuardedListener none() {
        return NONE;
    }

    /** Whether anyone listens: when not, callers skip building events. */
    public boolean active() {
        return active;
    }

    /** The listener guarded. */
    public IdempotencyListener listener() {
        return listener;
    }

    public void onRequest(RequestEvent event) {
        deliver(event, listener::onRequest);
    }

    public void onPurge(PurgeEvent event) {
        deliver(event, listener::onPurge);
    }

    public void onInboxMessage(InboxEvent event) {
        deliver(event, listener::onInboxMessage);
    }

    public void onOutboxBatch(OutboxEvent event) {
        deliver(event, listener::onOutboxBatch);
    }

    public void onWebhookVerification(WebhookVerificationEvent event) {
        deliver(event, listener::onWebhookVerification);
    }

    /**
     * {@link IdempotencyListener#onOutboxEnqueue}, guarded: a listener that throws adds no more fields; those it
     * passed before it threw are kept, each of them whole.
     */
    public void onOutboxEnqueue(BiConsumer<String, String> carrier) {
        if (!active) {
            return;
        }
        try {
            listener.onOutboxEnqueue(carrier);
        } catch (RuntimeException e) {
            failed("an outbox enqueue", e);
        }
    }

    /** {@link IdempotencyListener#onStageStart}, guarded, as is the end of the scope it returns. */
    public StageScope onStageStart(Stage stage, ExecutionMode mode) {
        return active ? guarded(stage, () -> listener.onStageStart(stage, mode)) : StageScope.NONE;
    }

    /** {@link IdempotencyListener#onPublishStart}, guarded, as is the end of the scope it returns. */
    public StageScope onPublishStart(Function<String, String> headers) {
        return active ? guarded(Stage.PUBLISH, () -> listener.onPublishStart(headers)) : StageScope.NONE;
    }

    private StageScope guarded(Stage stage, Supplier<StageScope> start) {
        StageScope scope;
        try {
            scope = start.get();
        } catch (RuntimeException e) {
            failed(stage, e);
            return StageScope.NONE;
        }
        if (scope == null || scope == StageScope.NONE) {
            return StageScope.NONE;
        }
        return failure -> {
            try {
                scope.end(failure);
            } catch (RuntimeException e) {
                failed(stage, e);
            }
        };
    }

    private <E> void deliver(E event, Consumer<E> method) {
        if (!active) {
            return;
        }
        try {
            method.accept(event);
        } catch (RuntimeException e) {
            failed(event.getClass().getSimpleName(), e);
        }
    }

    private void failed(Object on, RuntimeException e) {
        if (failedBefore.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "The idempotency listener " + listener.getClass().getName() + " threw on " + on
                    + "; the answer is unchanged. Later failures of this listener are logged at DEBUG", e);
        } else {
            LOG.log(Level.DEBUG, "The idempotency listener " + listener.getClass().getName() + " threw again: "
                    + e.getClass().getName());
        }
    }

    @Override
    public String toString() {
        return "GuardedListener[" + listener + "]";
    }
}
