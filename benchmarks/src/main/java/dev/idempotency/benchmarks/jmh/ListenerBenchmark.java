package dev.idempotency.benchmarks.jmh;

import dev.idempotency.Header;
import dev.idempotency.Idempotency;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.micrometer.IdempotencyMetrics;
import dev.idempotency.store.InMemoryIdempotencyStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the metrics add to the engine's work for one request: the same replay (claim, fingerprint comparison,
 * the stored answer) on the in-memory store, by an engine without a listener and by one reporting to the
 * Micrometer binding on a Prometheus registry. The difference is the event, the scope's hash, a counter and a
 * timer; the database work both leave out is the same with or without metrics.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ListenerBenchmark {

    private static final RequestHandler HANDLER = body -> HandlerResponse.of(201,
            List.of(new Header("Content-Type", "application/json")),
            "{\"id\":1}".getBytes(StandardCharsets.UTF_8));

    public Idempotency withoutListener;
    public Idempotency withMetrics;
    public IncomingRequest request;

    @Setup
    public void setUp() throws Exception {
        withoutListener = engine(IdempotencyListener.none());
        withMetrics = engine(IdempotencyMetrics.create(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
        request = request();
    }

    /** An engine over a store of its own holding the outcome {@link #request} is replayed from. */
    public static Idempotency engine(IdempotencyListener listener) throws Exception {
        Idempotency engine = Idempotency.create(InMemoryIdempotencyStore.create(), IdempotencyConfig.ofDefaults(),
                listener);
        if (!(engine.process(request(), HANDLER) instanceof Outcome.Executed)) {
            throw new IllegalStateException("the first request did not run");
        }
        return engine;
    }

    @Benchmark
    public Outcome replayWithoutListener() throws Exception {
        return withoutListener.process(request, HANDLER);
    }

    @Benchmark
    public Outcome replayWithMetrics() throws Exception {
        return withMetrics.process(request, HANDLER);
    }

    /** A POST with a 1 KiB JSON body under one key, by one client. */
    public static IncomingRequest request() {
        byte[] body = JsonBodies.order(1024);
        return new IncomingRequest() {
            @Override
            public String method() {
                return "POST";
            }

            @Override
            public String path() {
                return "/posts";
            }

            @Override
            public String rawQuery() {
                return null;
            }

            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public List<String> idempotencyKeyHeaders() {
                return List.of("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"");
            }

            @Override
            public Optional<String> scope() {
                return Optional.of("sha256:3f1d0c1a9b2e4c7d8e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9");
            }

            @Override
            public String scopeSource() {
                return "the X-Api-Key header";
            }

            @Override
            public byte[] readBody(int maxBytes) {
                return body;
            }
        };
    }
}
