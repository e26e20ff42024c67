package dev.idempotency.benchmarks.jmh;

import dev.idempotency.RequestFingerprint;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The request fingerprint the filter computes for every covered request: SHA-256 over method, path, query
 * and body, the JSON body canonicalised first ({@code jsonBody}); the same bytes sent as
 * {@code application/octet-stream} are hashed as they are ({@code rawBody}), which isolates what
 * canonicalisation costs over hashing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FingerprintBenchmark {

    @Param({"1024", "65536", "1048576"})
    public int bodyBytes;

    private byte[] body;

    @Setup
    public void setUp() {
        body = JsonBodies.order(bodyBytes);
    }

    @Benchmark
    public RequestFingerprint jsonBody() {
        return RequestFingerprint.of("POST", "/orders", "expand=items&dry_run=false", "application/json", body);
    }

    @Benchmark
    public RequestFingerprint rawBody() {
        return RequestFingerprint.of("POST", "/orders", "expand=items&dry_run=false", "application/octet-stream", body);
    }
}
