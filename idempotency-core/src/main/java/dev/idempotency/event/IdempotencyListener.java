package dev.idempotency.event;

import dev.idempotency.ExecutionMode;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Receives what the library decided and did, as immutable events; the SPI that metrics, tracing and audit
 * bindings implement (the {@code idempotency-micrometer} module is one). Every method has a default that
 * does nothing, so an implementation overrides only what it needs.
 *
 * <p>Methods are called synchronously, on the thread that made the decision (a request thread, a purge
 * thread, an outbox relay thread), after the decision and before its answer is sent: an implementation must
 * be thread-safe and quick, and should hand anything slow to a thread of its own. An exception it throws
 * never changes an answer: the library catches it, logs the first one a listener throws at {@code WARNING}
 * and later ones at {@code DEBUG}, and carries on.
 *
 * <p>Pass one listener to each component's builder: {@code IdempotencyFilter.builder(store).listener(l)},
 * {@code JdbcIdempotencyStore.builder().listener(l)} (its purge), {@code JdbcInbox.builder().listener(l)},
 * {@code OutboxRelayConfig.custom().listener(l)}, {@code WebhookVerifier.builder(...).listener(l)}.
 */
public interface IdempotencyListener {

    /** A listener that ignores every event: the default of every builder. */
    static IdempotencyListener none() {
        return NoListener.INSTANCE;
    }

    /**
     * One listener that passes every event to each of {@code listeners}, in order, and starts and ends their
     * stages together; an exception from one does not keep the event from the others.
     */
    static IdempotencyListener of(List<? extends IdempotencyListener> listeners) {
        return CompositeListener.of(listeners);
    }

    /**
     * A {@link Stage} starts, on the thread that runs it; the stage ends when the returned scope is ended. For
     * tracing: a span opened here and made current lets the spans of the application's handler nest inside
     * the {@link Stage#HANDLER handler}'s. Requests report {@code REQUEST}, then within it {@code CLAIM},
     * {@code HANDLER} and {@code COMPLETE} as far as the request goes; the request's {@link RequestEvent} is
     * reported before its {@code REQUEST} stage ends. Outbox relays report {@code PUBLISH} per message.
     *
     * @param mode the request's mode, or {@code null} for {@link Stage#PUBLISH} and for a request's
     *     {@code REQUEST} stage (whose mode is known later; it is in its {@link RequestEvent})
     * @return what ends the stage; the default, {@link StageScope#NONE}
     */
    default StageScope onStageStart(Stage stage, ExecutionMode mode) {
        return StageScope.NONE;
    }

    /**
     * An outbox relay starts publishing one message, on the thread that publishes it: like
     * {@link #onStageStart onStageStart(Stage.PUBLISH, null)} (which the default calls), with the message's headers,
     * so that a tracing listener can continue the trace whose context {@link #onOutboxEnqueue} stored in them.
     *
     * @param headers the value of the message's header of a given name (matched ignoring case), or {@code null}
     * @return what ends the stage
     */
    default StageScope onPublishStart(Function<String, String> headers) {
        return onStageStart(Stage.PUBLISH, null);
    }

    /**
     * An outbox message is being enqueued, on the thread (and in the trace) of the transaction that enqueues it. A
     * tracing listener passes the fields that carry the current trace to {@code carrier}: for W3C Trace Context,
     * {@code traceparent} and perhaps {@code tracestate}. The outbox adds each to the message as a header, unless
     * the message already has a header of that name, so that the relay's publication continues the trace (see
     * {@link #onPublishStart}) and its destination receives the fields with the other headers.
     *
     * @param carrier takes a field's name and value
     */
    default void onOutboxEnqueue(BiConsumer<String, String> carrier) {
    }

    /** The protocol answered a request it covers (a request passed through untouched is not reported). */
    default void onRequest(RequestEvent event) {
    }

    /** A purge run ended. */
    default void onPurge(PurgeEvent event) {
    }

    /** An inbox delivery was processed or recognised as a duplicate. */
    default void onInboxMessage(InboxEvent event) {
    }

    /** An outbox relay batch was published and its outcomes marked. */
    default void onOutboxBatch(OutboxEvent event) {
    }

    /** A webhook's signature was checked. */
    default void onWebhookVerification(WebhookVerificationEvent event) {
    }
}

/** The listener of {@link IdempotencyListener#none()}; a type of its own so the library can skip building events. */
final class NoListener implements IdempotencyListener {

    static final NoListener INSTANCE = new NoListener();

    private NoListener() {
    }

    @Override
    public String toString() {
        return "IdempotencyListener.none()";
    }
}
