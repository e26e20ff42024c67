package dev.idempotency.benchmarks.jmh;

import dev.idempotency.IdempotencyKey;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Parsing the {@code Idempotency-Key} header: a bare UUID, as most clients send it, and the quoted form of the draft. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KeyParsingBenchmark {

    public String bare = "8e03978e-40d5-43e8-bc93-6894a57f9324";
    public String quoted = "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"";

    @Benchmark
    public IdempotencyKey bareKey() {
        return IdempotencyKey.parseHeader(bare);
    }

    @Benchmark
    public IdempotencyKey quotedKey() {
        return IdempotencyKey.parseHeader(quoted);
    }
}
