package dev.idempotency.event;

import dev.idempotency.ExecutionMode;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/** The listener of {@link IdempotencyListener#of}: each event to each listener, one failing not stopping the rest. */
final class CompositeListener implements IdempotencyListener {

    private static final System.Logger LOG = System.getLogger(CompositeListener.class.getName());

    private final List<IdempotencyListener> listeners;

    private CompositeListener(List<IdempotencyListener> listeners) {
        this.listeners = listeners;
    }

    static IdempotencyListener of(List<? extends IdempotencyListener> listeners) {
        List<IdempotencyListener> active = Objects.requireNonNull(listeners, "listeners").stream()
                .map(listener -> Objects.requireNonNull(listener, "a listener"))
                .filter(listener -> listener != NoListener.INSTANCE).map(IdempotencyListener.class::cast).toList();
        return switch (active.size()) {
            case 0 -> IdempotencyListener.none();
            case 1 -> active.get(0);
            default -> new CompositeListener(active);
        };
    }

    private void each(Consumer<IdempotencyListener> call) {
        RuntimeException first = null;
        for (IdempotencyListener listener : listeners) {
            try {
                call.accept(listener);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first; // the library's guard logs it
        }
    }

    @Override
    public void onRequest(RequestEvent event) {
        each(listener -> listener.onRequest(event));
    }

    @Override
    public void onPurge(PurgeEvent event) {
        each(listener -> listener.onPurge(event));
    }

    @Override
    public void onInboxMessage(InboxEvent event) {
        each(listener -> listener.onInboxMessage(event));
    }

    @Override
    public void onOutboxBatch(OutboxEvent event) {
        each(listener -> listener.onOutboxBatch(event));
    }

    @Override
    public void onWebhookVerification(WebhookVerificationEvent event) {
        each(listener -> listener.onWebhookVerification(event));
    }

    @Override
    public void onOutboxEnqueue(BiConsumer<String, String> carrier) {
        each(listener -> listener.onOutboxEnqueue(carrier));
    }

    @Override
    public StageScope onStageStart(Stage stage, ExecutionMode mode) {
        return nested(listener -> listener.onStageStart(stage, mode));
    }

    @Override
    public StageScope onPublishStart(Function<String, String> headers) {
        return nested(listener -> listener.onPublishStart(headers));
    }

    /** Starts the stage with each listener, and ends their scopes in reverse, as scopes nest. */
    private StageScope nested(Function<IdempotencyListener, StageScope> start) {
        StageScope[] scopes = new StageScope[listeners.size()];
        for (int i = 0; i < scopes.length; i++) {
            try {
                scopes[i] = start.apply(listeners.get(i));
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "An idempotency listener failed to start a stage: " + e);
                scopes[i] = StageScope.NONE;
            }
            if (scopes[i] == null) {
                scopes[i] = StageScope.NONE;
            }
        }
        return failure -> {
            for (int i = scopes.length - 1; i >= 0; i--) {
                try {
                    scopes[i].end(failure);
                } catch (RuntimeException e) {
                    LOG.log(Level.DEBUG, "An idempotency listener failed to end a stage: " + e);
                }
            }
        };
    }

    @Override
    public String toString() {
        return "IdempotencyListener.of(" + listeners + ")";
    }
}
