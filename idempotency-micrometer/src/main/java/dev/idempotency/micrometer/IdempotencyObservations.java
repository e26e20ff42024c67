package dev.idempotency.micrometer;

import dev.idempotency.ExecutionMode;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.Stage;
import dev.idempotency.event.StageScope;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The library's stages as Micrometer {@link Observation}s, so that an application with a tracing bridge
 * (OpenTelemetry, Brave) sees spans: {@value #REQUEST} around each covered request, and within it
 * {@value #CLAIM}, {@value #HANDLER} (current while the application's handler runs, so its own spans nest
 * inside) and {@value #COMPLETE}; {@value #PUBLISH} around each message an outbox relay hands to its publisher.
 * An outbox message carries the W3C trace context ({@code traceparent}, {@code tracestate} headers) of the
 * transaction that enqueued it, recorded by a short {@value #ENQUEUE} span, and its {@value #PUBLISH} span
 * continues that trace; a publisher that sends the message's headers (the webhook publisher, the broker
 * publishers) hands the context on to the receiver.
 * Key values are low-cardinality only: {@code mode} ({@code transaction}, {@code lease}) on the request's stages,
 * and {@code outcome} ({@link dev.idempotency.event.RequestOutcome#tag()}) on {@value #REQUEST}. A stage whose
 * work threw records the exception as the observation's error.
 *
 * <pre>{@code
 * IdempotencyListener listener = IdempotencyListener.of(List.of(IdempotencyMetrics.create(meters),
 *         IdempotencyObservations.create(observations)));
 * }</pre>
 *
 * <p>Observations are opened on the thread that runs the stage and made current there. Thread-safe.
 */
public final class IdempotencyObservations implements IdempotencyListener {

    /** A covered request, from its first decision to its answer. */
    public static final String REQUEST = "idempotency.request";
    /** The store's claim of a key. */
    public static final String CLAIM = "idempotency.claim";
    /** The application's handler. */
    public static final String HANDLER = "idempotency.handler";
    /** Storing the outcome (in transaction mode, with the commit). */
    public static final String COMPLETE = "idempotency.complete";
    /** An outbox relay publishing one message; it continues the trace that enqueued the message. */
    public static final String PUBLISH = "idempotency.outbox.publish";
    /** An outbox message enqueued: the span whose trace context the message carries. */
    public static final String ENQUEUE = "idempotency.outbox.enqueue";

    private final ObservationRegistry registry;

    private IdempotencyObservations(ObservationRegistry registry) {
        this.registry = registry;
    }

    /**
     * Observations on {@code registry}.
     *
     * @throws NullPointerException if {@code registry} is null
     */
    public static IdempotencyObservations create(ObservationRegistry registry) {
        return new IdempotencyObservations(Objects.requireNonNull(registry, "registry"));
    }

    @Override
    public StageScope onStageStart(Stage stage, ExecutionMode mode) {
        if (registry.isNoop()) {
            return StageScope.NONE;
        }
        Observation observation = Observation.createNotStarted(name(stage), registry)
                .contextualName("idempotency " + stage.tag());
        if (mode != null) {
            observation.lowCardinalityKeyValue("mode", mode.name().toLowerCase(Locale.ROOT));
        }
        return startInScope(observation);
    }

    /**
     * Opens {@value #PUBLISH} as a receiver of the message's headers, so that a tracing bridge makes its span a
     * child of the trace context that {@link #onOutboxEnqueue} stored in them: the publication continues the
     * trace of the transaction that enqueued the message, however much later and on whichever instance it runs.
     */
    @Override
    public StageScope onPublishStart(Function<String, String> headers) {
        if (registry.isNoop()) {
            return StageScope.NONE;
        }
        ReceiverContext<Function<String, String>> context = new ReceiverContext<>(
                (carrier, name) -> carrier == null ? null : carrier.apply(name));
        context.setCarrier(headers);
        return startInScope(Observation.createNotStarted(PUBLISH, () -> context, registry)
                .contextualName("idempotency " + Stage.PUBLISH.tag()));
    }

    /**
     * Records {@value #ENQUEUE} as a sender whose carrier is the message: a tracing bridge opens a short producer
     * span in the current trace and injects its context ({@code traceparent}, {@code tracestate}) into the
     * message's headers. Without a bridge nothing is injected and the message keeps its own headers only.
     */
    @Override
    public void onOutboxEnqueue(BiConsumer<String, String> carrier) {
        if (registry.isNoop()) {
            return;
        }
        SenderContext<BiConsumer<String, String>> context = new SenderContext<>(
                (headers, name, value) -> headers.accept(name, value));
        context.setCarrier(carrier);
        Observation.createNotStarted(ENQUEUE, () -> context, registry)
                .contextualName("idempotency outbox enqueue").start().stop();
    }

    private static StageScope startInScope(Observation observation) {
        observation.start();
        Observation.Scope scope = observation.openScope();
        return failure -> {
            scope.close();
            if (failure != null) {
                observation.error(failure);
            }
            observation.stop();
        };
    }

    /** Names the request's observation, still current when its answer is reported, by outcome and mode. */
    @Override
    public void onRequest(RequestEvent event) {
        Observation current = registry.getCurrentObservation();
        if (current != null && REQUEST.equals(current.getContext().getName())) {
            current.lowCardinalityKeyValue("outcome", event.outcome().tag())
                    .lowCardinalityKeyValue("mode", event.mode().name().toLowerCase(Locale.ROOT));
        }
    }

    @Override
    public String toString() {
        return "IdempotencyObservations[" + registry + "]";
    }

    private static String name(Stage stage) {
        return switch (stage) {
            case REQUEST -> REQUEST;
            case CLAIM -> CLAIM;
            case HANDLER -> HANDLER;
            case COMPLETE -> COMPLETE;
            case PUBLISH -> PUBLISH;
        };
    }
}
