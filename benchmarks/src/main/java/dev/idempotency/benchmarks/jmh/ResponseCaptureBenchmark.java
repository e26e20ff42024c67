package dev.idempotency.benchmarks.jmh;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.servlet.internal.CapturingResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
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
 * Capturing a handler's response in memory, as the filter does for every request it runs: a status, a
 * {@code Location} header, a JSON content type and the body, written through the output stream
 * ({@code outputStream}) or, in 4 KiB pieces, through the writer ({@code writer}), then turned into the
 * {@link HandlerResponse} that is stored.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ResponseCaptureBenchmark {

    @Param({"256", "65536"})
    public int bodyBytes;

    private byte[] body;
    private String text;
    private HttpServletResponse container;

    @Setup
    public void setUp() {
        // ASCII, so the writer's UTF-8 bytes are as many as its characters.
        StringBuilder json = new StringBuilder("{\"id\":42,\"account_id\":\"acct-42\",\"content\":\"");
        while (json.length() < bodyBytes - 2) {
            json.append("exactly once, whatever the network does. ");
        }
        json.setLength(bodyBytes - 2);
        text = json.append("\"}").toString();
        body = text.getBytes(StandardCharsets.US_ASCII);
        // The container's response is never written to during capture; a proxy answering defaults will do.
        container = (HttpServletResponse) Proxy.newProxyInstance(HttpServletResponse.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                    Class<?> type = method.getReturnType();
                    if (type == boolean.class) {
                        return false;
                    }
                    if (type == int.class) {
                        return 0;
                    }
                    if (type == long.class) {
                        return 0L;
                    }
                    return type == String.class && method.getName().equals("getCharacterEncoding") ? "UTF-8" : null;
                });
    }

    @Benchmark
    public HandlerResponse outputStream() throws IOException {
        CapturingResponse response = new CapturingResponse(container, 1 << 20);
        response.setStatus(201);
        response.setHeader("Location", "/posts/42");
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        return response.toHandlerResponse();
    }

    @Benchmark
    public HandlerResponse writer() throws IOException {
        CapturingResponse response = new CapturingResponse(container, 1 << 20);
        response.setStatus(201);
        response.setHeader("Location", "/posts/42");
        response.setContentType("application/json");
        PrintWriter writer = response.getWriter();
        for (int i = 0; i < text.length(); i += 4096) {
            writer.write(text, i, Math.min(4096, text.length() - i));
        }
        return response.toHandlerResponse();
    }
}
