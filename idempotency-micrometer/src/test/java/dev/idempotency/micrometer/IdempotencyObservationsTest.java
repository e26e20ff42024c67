package dev.idempotency.micrometer;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.idempotency.Header;
import dev.idempotency.Idempotency;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.store.InMemoryIdempotencyStore;
import dev.idempotency.testing.TestRequests;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The stages of a request as Observations: named, nested, with low-cardinality key values only. */
class IdempotencyObservationsTest {

    private final TestObservationRegistry observations = TestObservationRegistry.create();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Idempotency engine = Idempotency.create(InMemoryIdempotencyStore.create(),
            IdempotencyConfig.ofDefaults(), IdempotencyListener.of(List.of(IdempotencyMetrics.create(meters),
                    IdempotencyObservations.create(observations))));

    /** A POST of {@code body} under {@code key} by client {@code client-a}. */
    private static IncomingRequest post(String key, String body) {
        return TestRequests.post("client-a", key, body);
    }

    private static final RequestHandler CREATED = body -> HandlerResponse.of(201,
            List.of(new Header("Content-Type", "application/json")), "{\"id\":1}".getBytes(UTF_8));

    @Test
    void aFirstRequestIsARequestObservationWithItsClaimHandlerAndCompleteInside() throws Exception {
        AtomicReference<Observation> duringHandler = new AtomicReference<>();
        engine.process(post("k-1", "{\"a\":1}"), body -> {
            duringHandler.set(observations.getCurrentObservation());
            return CREATED.handle(body);
        });

        assertNotNull(duringHandler.get(), "the handler runs inside an observation");
        assertEquals(IdempotencyObservations.HANDLER, duringHandler.get().getContext().getName());
        assertEquals(IdempotencyObservations.REQUEST,
                duringHandler.get().getContext().getParentObservation().getContextView().getName(),
                "the handler's observation is a child of the request's");
        assertThat(observations).hasNumberOfObservationsEqualTo(4)
                .hasObservationWithNameEqualTo(IdempotencyObservations.REQUEST).that()
                .hasLowCardinalityKeyValue("outcome", "executed").hasLowCardinalityKeyValue("mode", "transaction")
                .hasBeenStarted().hasBeenStopped();
        assertThat(observations).hasObservationWithNameEqualTo(IdempotencyObservations.CLAIM).that()
                .hasLowCardinalityKeyValue("mode", "transaction").hasBeenStopped();
        assertThat(observations).hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETE).that()
                .hasBeenStopped();
        assertNull(observations.getCurrentObservation(), "every scope was closed");
    }

    @Test
    void aReplayHasNoHandlerAndARefusalNoClaim() throws Exception {
        engine.process(post("k-2", "{\"a\":1}"), CREATED);
        observations.clear();

        engine.process(post("k-2", "{\"a\":1}"), CREATED);
        assertThat(observations).hasNumberOfObservationsEqualTo(2)
                .hasObservationWithNameEqualTo(IdempotencyObservations.REQUEST).that()
                .hasLowCardinalityKeyValue("outcome", "replayed");
        observations.clear();

        engine.process(post(null, "{\"a\":1}"), CREATED);
        assertThat(observations).hasNumberOfObservationsEqualTo(1)
                .hasObservationWithNameEqualTo(IdempotencyObservations.REQUEST).that()
                .hasLowCardinalityKeyValue("outcome", "missing_key");
        assertEquals(1.0, meters.get(IdempotencyMetrics.REQUESTS).tag("outcome", "missing_key").tag("mode", "transaction")
                .counter().count(),
                "the metrics, beside them, counted the same answer");
    }

    @Test
    void aHandlerThatThrowsIsTheErrorOfItsObservationAndOfTheRequests() {
        IllegalStateException boom = new IllegalStateException("boom");
        assertThrows(IllegalStateException.class, () -> engine.process(post("k-3", "{\"a\":1}"), body -> {
            throw boom;
        }));

        assertThat(observations).hasObservationWithNameEqualTo(IdempotencyObservations.HANDLER).that()
                .hasError(boom).hasBeenStopped();
        assertThat(observations).hasObservationWithNameEqualTo(IdempotencyObservations.REQUEST).that()
                .hasError(boom).hasLowCardinalityKeyValue("outcome", "failed");
        assertNull(observations.getCurrentObservation(), "every scope was closed");
    }
}
