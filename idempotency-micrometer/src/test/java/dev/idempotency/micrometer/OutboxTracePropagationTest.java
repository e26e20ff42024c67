package dev.idempotency.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.testing.PostgresDatabaseExtension;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler.FirstMatchingCompositeObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingReceiverTracingObservationHandler;
import io.micrometer.tracing.handler.PropagatingSenderTracingObservationHandler;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Through a real tracer (OpenTelemetry's SDK behind Micrometer Tracing's bridge) and a PostgreSQL outbox: a message
 * carries the W3C {@code traceparent} of the transaction that enqueued it, and the relay's publication, run
 * later on a relay thread, is a span of that same trace.
 */
class OutboxTracePropagationTest {

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    /** The example of the W3C Trace Context recommendation, section 3.2.2.1. */
    private static final String GIVEN_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
    private final io.opentelemetry.api.trace.Tracer otelTracer = provider.get("test");
    private final OtelTracer tracer = new OtelTracer(otelTracer, new OtelCurrentTraceContext(), event -> { });
    private final OtelPropagator propagator = new OtelPropagator(
            ContextPropagators.create(W3CTraceContextPropagator.getInstance()), otelTracer);
    private final ObservationRegistry observations = ObservationRegistry.create();

    /** What the publisher was handed, and the trace current on its thread while it ran. */
    private record Published(OutboxMessage message, String traceId, String spanId) {
    }

    private final List<Published> published = new ArrayList<>();

    OutboxTracePropagationTest() {
        observations.observationConfig().observationHandler(new FirstMatchingCompositeObservationHandler(
                new PropagatingSenderTracingObservationHandler<>(tracer, propagator),
                new PropagatingReceiverTracingObservationHandler<>(tracer, propagator),
                new DefaultTracingObservationHandler(tracer)));
    }

    @AfterEach
    void closeTracer() {
        provider.close();
    }

    private JdbcOutbox outbox(IdempotencyListener listener) {
        return JdbcOutbox.builder().dataSource(db.dataSource()).listener(listener).build();
    }

    private void enqueue(JdbcOutbox outbox, List<Header> headers) throws Exception {
        outbox.inTransaction(() -> {
            outbox.enqueue(OutboxMessage.of("orders", "order-1", "{}".getBytes(StandardCharsets.UTF_8), headers));
            return null;
        });
    }

    /** Relays until the publisher was handed one message. */
    private Published relayOne(JdbcOutbox outbox) {
        try (OutboxRelay relay = outbox.relay((message, attempt) -> {
            Span current = tracer.currentSpan();
            synchronized (published) {
                published.add(new Published(message, current == null ? null : current.context().traceId(),
                        current == null ? null : current.context().spanId()));
            }
            return PublishResult.delivered();
        })) {
            for (int run = 0; run < 10 && published.isEmpty(); run++) {
                relay.runOnce();
            }
        }
        assertEquals(1, published.size(), "the relay published the one message enqueued");
        return published.get(0);
    }

    private SpanData span(String name) {
        List<SpanData> named = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
        assertEquals(1, named.size(), () -> "one span named " + name + " among " + spans.getFinishedSpanItems());
        return named.get(0);
    }

    @Test
    void theMessageCarriesTheEnqueuingTraceAndItsPublicationContinuesIt() throws Exception {
        JdbcOutbox outbox = outbox(IdempotencyObservations.create(observations));
        Observation checkout = Observation.createNotStarted("checkout", observations).start();
        try (Observation.Scope scope = checkout.openScope()) {
            enqueue(outbox, List.of(new Header("X-Tenant", "acme")));
        } finally {
            checkout.stop();
        }

        Published publication = relayOne(outbox);

        SpanData checkoutSpan = span("checkout");
        SpanData enqueueSpan = span("idempotency outbox enqueue");
        SpanData publishSpan = span("idempotency publish");
        String traceId = checkoutSpan.getTraceId();
        assertEquals(checkoutSpan.getSpanId(), enqueueSpan.getParentSpanId(), "enqueued within the checkout");
        assertEquals(SpanKind.PRODUCER, enqueueSpan.getKind());
        String traceparent = publication.message().header("traceparent").orElse("");
        assertTrue(traceparent.startsWith("00-" + traceId + "-" + enqueueSpan.getSpanId() + "-"),
                () -> "the stored message carries the context of the span that enqueued it: " + traceparent);
        assertEquals(1, Integer.parseInt(traceparent.substring(traceparent.lastIndexOf('-') + 1), 16) & 1,
                "sampled, as the enqueuing trace is");
        assertEquals("acme", publication.message().header("X-Tenant").orElse(null), "its own headers are kept");

        assertEquals(traceId, publishSpan.getTraceId(), "the publication is part of the enqueuing trace");
        assertEquals(enqueueSpan.getSpanId(), publishSpan.getParentSpanId());
        assertEquals(SpanKind.CONSUMER, publishSpan.getKind());
        assertEquals(traceId, publication.traceId(), "the publisher runs inside the publication's span");
        assertEquals(publishSpan.getSpanId(), publication.spanId());
    }

    @Test
    void aTraceparentTheMessageAlreadyHasIsKeptAndContinued() throws Exception {
        JdbcOutbox outbox = outbox(IdempotencyObservations.create(observations));
        Observation checkout = Observation.createNotStarted("checkout", observations).start();
        try (Observation.Scope scope = checkout.openScope()) {
            enqueue(outbox, List.of(new Header("TraceParent", GIVEN_TRACEPARENT)));
        } finally {
            checkout.stop();
        }

        OutboxMessage message = relayOne(outbox).message();
        assertEquals(List.of(new Header("TraceParent", GIVEN_TRACEPARENT)), message.headers(),
                "the application's own trace context is neither replaced nor doubled");
        SpanData publishSpan = span("idempotency publish");
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", publishSpan.getTraceId());
        assertEquals("00f067aa0ba902b7", publishSpan.getParentSpanId());
    }

    @Test
    void withoutATracerTheMessageKeepsItsOwnHeadersOnly() throws Exception {
        // Observations without a tracing bridge (here: none handled at all) have no context to pass on.
        JdbcOutbox outbox = outbox(IdempotencyObservations.create(ObservationRegistry.create()));
        enqueue(outbox, List.of(new Header("X-Tenant", "acme")));

        assertEquals(List.of(new Header("X-Tenant", "acme")), relayOne(outbox).message().headers());
    }

    @Test
    void aListenerThatThrowsWhileGivingItsContextDoesNotStopTheEnqueue() throws Exception {
        JdbcOutbox outbox = outbox(new IdempotencyListener() {
            @Override
            public void onOutboxEnqueue(BiConsumer<String, String> carrier) {
                carrier.accept("traceparent", GIVEN_TRACEPARENT);
                throw new IllegalStateException("a broken tracer");
            }
        });
        enqueue(outbox, List.of());

        OutboxMessage message = relayOne(outbox).message();
        assertNotNull(message);
        assertTrue(message.header("traceparent").isPresent(), "what the listener gave before it threw is kept");
    }
}
