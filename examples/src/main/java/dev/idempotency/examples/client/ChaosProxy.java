package dev.idempotency.examples.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 proxy on a loopback port that makes the network as unreliable as it is in production, at
 * random: it passes a request on, or passes it on and then drops the server's answer (the server did the
 * work, the client never hears of it: the lost response that exactly-once is about), or resets the
 * connection before passing anything on, or delays it, or answers 503 itself. One request per connection.
 */
public final class ChaosProxy implements AutoCloseable {

    /** What happens to one request. */
    public enum Fate {
        /** Passed on, and the answer passed back. */
        PASSED,
        /** Passed on, processed by the server, and the answer dropped: the connection closes without it. */
        ANSWER_LOST,
        /** The connection is reset before anything is passed on. */
        RESET,
        /** Passed on after a pause of up to {@link ChaosProxy#MAX_DELAY}. */
        DELAYED,
        /** Answered 503 by the proxy; nothing is passed on. */
        UNAVAILABLE
    }

    /** The longest pause of a {@link Fate#DELAYED} request. */
    public static final Duration MAX_DELAY = Duration.ofMillis(200);

    /** How often each fate befalls a request with {@code --chaos}: the rest are passed. */
    public static final Map<Fate, Double> CHAOS = Map.of(Fate.ANSWER_LOST, 0.15, Fate.RESET, 0.10, Fate.DELAYED,
            0.15, Fate.UNAVAILABLE, 0.10);

    /** Hop-by-hop and framing headers the proxy sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect",
            "upgrade", "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection");

    private final URI target;
    private final Map<Fate, Double> odds;
    private final SplittableRandom random;
    private final ServerSocket socket;
    private final HttpClient upstream = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService connections = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "chaos-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final Map<Fate, AtomicLong> counts = new EnumMap<>(Fate.class);

    /**
     * A proxy to {@code target} (scheme, host and port; the request's path is kept) on a free loopback port.
     *
     * @param odds how often each fate other than {@link Fate#PASSED} befalls a request, summing to at most 1
     * @param seed the random choices' seed, so a run can be repeated
     */
    public ChaosProxy(URI target, Map<Fate, Double> odds, long seed) throws IOException {
        this.target = target;
        this.odds = Map.copyOf(odds);
        double sum = odds.values().stream().mapToDouble(Double::doubleValue).sum();
        if (sum > 1.0 || odds.containsKey(Fate.PASSED) || odds.values().stream().anyMatch(p -> p < 0)) {
            throw new IllegalArgumentException("odds of the fates other than PASSED, each 0 to 1, summing to at most "
                    + "1: " + odds);
        }
        this.random = new SplittableRandom(seed);
        for (Fate fate : Fate.values()) {
            counts.put(fate, new AtomicLong());
        }
        this.socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        connections.execute(this::accept);
    }

    /** The proxy's address: send requests here instead of the target. */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    /** How many requests met each fate so far. */
    public Map<Fate, Long> counts() {
        Map<Fate, Long> snapshot = new EnumMap<>(Fate.class);
        counts.forEach((fate, count) -> snapshot.put(fate, count.get()));
        return snapshot;
    }

    private synchronized Fate draw() {
        double roll = random.nextDouble();
        for (Fate fate : List.of(Fate.ANSWER_LOST, Fate.RESET, Fate.DELAYED, Fate.UNAVAILABLE)) {
            roll -= odds.getOrDefault(fate, 0.0);
            if (roll < 0) {
                return fate;
            }
        }
        return Fate.PASSED;
    }

    private synchronized long delayMillis() {
        return random.nextLong(MAX_DELAY.toMillis() + 1);
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.execute(() -> serve(connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            Request request = Request.read(connection.getInputStream());
            if (request == null) {
                return;
            }
            Fate fate = draw();
            counts.get(fate).incrementAndGet();
            switch (fate) {
                case RESET -> {
                    // An RST instead of an orderly close: the client sees "connection reset".
                    connection.setSoLinger(true, 0);
                    return;
                }
                case UNAVAILABLE -> {
                    write(connection.getOutputStream(), 503, Map.of("Content-Type", List.of("text/plain")),
                            "The proxy is unavailable for now".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                case DELAYED -> Thread.sleep(delayMillis());
                default -> {
                }
            }
            HttpResponse<byte[]> answer = forward(request);
            if (fate == Fate.ANSWER_LOST) {
                connection.setSoLinger(true, 0);
                return;
            }
            write(connection.getOutputStream(), answer.statusCode(), answer.headers().map(), answer.body());
        } catch (SocketException e) {
            // The client gave up on this connection (its own timeout): nothing to answer.
        } catch (IOException e) {
            // The target did not answer: the client sees its connection closed, as it would without a proxy.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HttpResponse<byte[]> forward(Request request) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(target.resolve(request.path()))
                .timeout(Duration.ofSeconds(30))
                .method(request.method(), request.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        request.headers().forEach((name, value) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                builder.header(name, value);
            }
        });
        return upstream.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void write(OutputStream out, int status, Map<String, List<String>> headers, byte[] body)
            throws IOException {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(" Proxied\r\n");
        headers.forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                values.forEach(value -> head.append(name).append(": ").append(value).append("\r\n"));
            }
        });
        head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a listening socket fails only if it is closed already.
        }
        connections.shutdownNow();
        try {
            connections.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A request as read from the client: request line, headers (in order), body by Content-Length. */
    private record Request(String method, String path, List<Map.Entry<String, String>> headerList, byte[] body) {

        Map<String, String> headers() {
            Map<String, String> map = new java.util.LinkedHashMap<>();
            headerList.forEach(entry -> map.merge(entry.getKey(), entry.getValue(), (a, b) -> a + ", " + b));
            return map;
        }

        static Request read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            int b;
            while (state < 4 && (b = in.read()) != -1) {
                head.write(b);
                state = b == '\r' ? (state == 2 ? 3 : 1) : (b == '\n' && (state == 1 || state == 3) ? state + 1 : 0);
                if (head.size() > 64 * 1024) {
                    throw new IOException("request head over 64 KiB");
                }
            }
            if (state < 4) {
                return null;
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            String[] requestLine = lines[0].split(" ");
            List<Map.Entry<String, String>> headers = new java.util.ArrayList<>();
            int length = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = lines[i].substring(0, colon).strip();
                String value = lines[i].substring(colon + 1).strip();
                headers.add(Map.entry(name, value));
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(value);
                }
            }
            return new Request(requestLine[0], requestLine[1], headers, in.readNBytes(length));
        }
    }
}
