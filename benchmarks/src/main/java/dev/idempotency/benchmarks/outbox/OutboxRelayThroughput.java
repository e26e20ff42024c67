package dev.idempotency.benchmarks.outbox;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.Header;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.webhooks.WebhookPublisher;
import dev.idempotency.webhooks.WebhookSecret;
import dev.idempotency.webhooks.WebhookSigner;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many outbox messages per second relays publish from PostgreSQL to a local HTTP receiver that answers
 * 200 at once: the cost of the outbox itself (claim, publish over HTTP/1.1 keep-alive, mark), not of a
 * receiver.
 *
 * <p>Each scenario runs in a fresh schema that it drops afterwards: it enqueues the messages first (in
 * transactions of 500, timed separately), then starts the relays and times until the receiver has seen
 * every message and no message is pending any more (every delivery marked). The receiver
 * ({@code com.sun.net.httpserver}, 8 threads) runs in the same JVM, on the same machine as PostgreSQL, so
 * all three share the CPU. A first, shorter run warms the JIT and is not reported.
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -cp benchmarks/target/benchmarks.jar dev.idempotency.benchmarks.outbox.OutboxRelayThroughput \
 *     [--jdbc-url jdbc:postgresql://127.0.0.1:5432/test?user=postgres] [--messages 20000] [--client plain|jdk|webhook|none]
 * </pre>
 *
 * <p>{@code --client plain} (the default) publishes over raw keep-alive sockets, the cheapest HTTP client
 * there is, so the numbers show what the relay can do; {@code --client jdk} uses the JDK's
 * {@link HttpClient} for comparison, and {@code --client none} skips HTTP altogether (every message is
 * delivered at once), which shows the relay's own cost: claiming and marking in PostgreSQL.
 */
public final class OutboxRelayThroughput {

    private static final String DEFAULT_JDBC_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final byte[] PAYLOAD = ("{\"type\":\"post.published\",\"data\":{\"id\":12345,\"account_id\":"
            + "\"acct-42\",\"content\":\"Hello, exactly once. This payload is about two hundred bytes long, "
            + "like a small webhook event.\"}}").getBytes(StandardCharsets.UTF_8);

    /** One configuration to measure. */
    record Scenario(String name, int relays, boolean ordered, int keys, int batchSize, int concurrency) {
    }

    /** What one scenario measured. */
    record Result(Scenario scenario, int messages, double enqueuePerSecond, double relayPerSecond, long duplicates) {
    }

    private OutboxRelayThroughput() {
    }

    /** Runs the scenarios and prints a Markdown table. */
    public static void main(String[] args) throws Exception {
        // The JDK server otherwise leaves Nagle's algorithm on, and small answers wait for delayed ACKs.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        String jdbcUrl = DEFAULT_JDBC_URL;
        int messages = 20_000;
        String client = "plain";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jdbc-url" -> jdbcUrl = args[++i];
                case "--messages" -> messages = Integer.parseInt(args[++i]);
                case "--client" -> client = args[++i];
                default -> throw new IllegalArgumentException("Unknown option " + args[i]
                        + "; options: --jdbc-url URL, --messages N, --client plain|jdk|webhook|none");
            }
        }
        if (!List.of("plain", "jdk", "webhook", "none").contains(client)) {
            throw new IllegalArgumentException("--client must be plain, jdk, webhook or none, not " + client);
        }
        List<Scenario> scenarios = List.of(
                new Scenario("1 relay, no ordering", 1, false, 0, 100, 8),
                new Scenario("2 relays, no ordering", 2, false, 0, 100, 8),
                new Scenario("2 relays, ordered, 1000 keys", 2, true, 1000, 100, 8),
                new Scenario("2 relays, ordered, 8 keys", 2, true, 8, 100, 8));
        System.out.printf(Locale.ROOT, "Warming up (%d messages)...%n", messages / 2);
        run(jdbcUrl, scenarios.get(1), messages / 2, client);
        List<Result> results = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            Result result = run(jdbcUrl, scenario, messages, client);
            results.add(result);
            System.out.printf(Locale.ROOT, "%s: %.0f messages/s relayed%n", scenario.name(), result.relayPerSecond());
        }
        System.out.println();
        System.out.println("Publisher: " + switch (client) {
            case "plain" -> "plain HTTP/1.1 keep-alive sockets";
            case "jdk" -> "JDK HttpClient";
            case "webhook" -> "the library's WebhookPublisher (JDK HttpClient, Standard Webhooks signatures)";
            default -> "none (every message delivered without a call: the relay's own cost)";
        } + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        System.out.println("| Scenario | Batch | Publisher threads per relay | Messages | Enqueued/s | Relayed/s | Duplicates |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %.0f | %.0f | %d |%n", r.scenario().name(),
                    r.scenario().batchSize(), r.scenario().concurrency(), r.messages(), r.enqueuePerSecond(),
                    r.relayPerSecond(), r.duplicates());
        }
    }

    static Result run(String jdbcUrl, Scenario scenario, int messages, String client) throws Exception {
        String schema = "bench_outbox_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        execute(jdbcUrl, "CREATE SCHEMA " + schema);
        try (Receiver receiver = Receiver.start(); HikariDataSource pool = pool(jdbcUrl, schema);
                AutoCloseable publisher = switch (client) {
                    case "plain" -> new PlainHttpPublisher(Duration.ofSeconds(10));
                    case "jdk" -> new JdkHttpPublisher(Duration.ofSeconds(10));
                    case "webhook" -> new SignedPublisher(WebhookPublisher.builder(
                            WebhookSigner.create(WebhookSecret.generate())).timeout(Duration.ofSeconds(10)).build());
                    default -> new NoPublisher(receiver);
                }) {
            JdbcOutbox outbox = JdbcOutbox.create(pool);
            double enqueuePerSecond = enqueue(outbox, receiver.url(), scenario, messages);

            OutboxRelayConfig config = OutboxRelayConfig.custom().batchSize(scenario.batchSize())
                    .publishConcurrency(scenario.concurrency()).orderedPerKey(scenario.ordered())
                    .pollInterval(Duration.ofMillis(10)).build();
            List<OutboxRelay> relays = new ArrayList<>();
            long started = System.nanoTime();
            try {
                for (int i = 0; i < scenario.relays(); i++) {
                    relays.add(outbox.relay((OutboxPublisher) publisher, config).start());
                }
                long deadline = started + TimeUnit.MINUTES.toNanos(10);
                while (receiver.received() < messages && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                while (outbox.pendingCount() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                if (System.nanoTime() >= deadline) {
                    throw new IllegalStateException("The relays did not deliver " + messages + " messages within 10 "
                            + "minutes (received " + receiver.received() + ")");
                }
            } finally {
                relays.forEach(OutboxRelay::close);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return new Result(scenario, messages, enqueuePerSecond, messages / seconds, receiver.duplicates());
        } finally {
            execute(jdbcUrl, "DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private static double enqueue(JdbcOutbox outbox, String url, Scenario scenario, int messages) throws Exception {
        List<Header> headers = List.of(new Header("Content-Type", "application/json"));
        long started = System.nanoTime();
        for (int from = 0; from < messages; from += 500) {
            int first = from;
            int to = Math.min(messages, from + 500);
            outbox.inTransaction(() -> {
                for (int i = first; i < to; i++) {
                    String key = scenario.keys() == 0 ? null : "key-" + (i % scenario.keys());
                    outbox.enqueue(OutboxMessage.of(url, key, PAYLOAD, headers));
                }
                return null;
            });
        }
        return messages / ((System.nanoTime() - started) / 1e9);
    }

    private static HikariDataSource pool(String jdbcUrl, String schema) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("outbox-bench");
        config.setJdbcUrl(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        config.setMaximumPoolSize(10);
        return new HikariDataSource(config);
    }

    private static void execute(String jdbcUrl, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl); Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }

    /**
     * A plain HTTP/1.1 publisher for the measurement: POSTs the payload with the message id in
     * {@code webhook-id} over one keep-alive connection per publisher thread (raw sockets, TCP_NODELAY); 2xx
     * is delivered, 408, 429 and 5xx are retried, anything else is rejected. Not signed (signing belongs to
     * {@code idempotency-webhooks}), and only as much HTTP as a local receiver needs: a {@code Content-Length}
     * or chunked answer.
     */
    static final class PlainHttpPublisher implements OutboxPublisher, AutoCloseable {

        private final int timeoutMillis;
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final ThreadLocal<Socket> connection = new ThreadLocal<>();

        PlainHttpPublisher(Duration timeout) {
            this.timeoutMillis = (int) timeout.toMillis();
        }

        @Override
        public PublishResult publish(OutboxMessage message, int attempt) throws IOException {
            URI uri = URI.create(message.destination());
            Socket socket = connection.get();
            if (socket == null || socket.isClosed()) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(timeoutMillis);
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), timeoutMillis);
                sockets.add(socket);
                connection.set(socket);
            }
            try {
                return send(socket, uri, message);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        private static PublishResult send(Socket socket, URI uri, OutboxMessage message) throws IOException {
            StringBuilder head = new StringBuilder(256).append("POST ").append(uri.getRawPath())
                    .append(" HTTP/1.1\r\nHost: ").append(uri.getHost()).append(':').append(uri.getPort())
                    .append("\r\nwebhook-id: ").append(message.id())
                    .append("\r\nContent-Length: ").append(message.payloadLength()).append("\r\n");
            for (Header header : message.headers()) {
                head.append(header.name()).append(": ").append(header.value()).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(message.payload());
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 512);
            String status = line(in);
            int code = Integer.parseInt(status.substring(9, 12));
            long length = 0;
            boolean chunked = false;
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(header.substring(colon + 1).trim());
                } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                    chunked = header.toLowerCase(Locale.ROOT).contains("chunked");
                }
            }
            if (chunked) {
                for (long chunk = Long.parseLong(line(in).trim(), 16); chunk > 0; chunk = Long.parseLong(line(in).trim(), 16)) {
                    in.skipNBytes(chunk + 2);
                }
                line(in);
            } else {
                in.skipNBytes(length);
            }
            if (in.available() > 0) {
                throw new IOException("Unexpected bytes after the answer to " + message.id());
            }
            if (code >= 200 && code < 300) {
                return PublishResult.delivered();
            }
            if (code == 408 || code == 429 || code >= 500) {
                return PublishResult.retry("HTTP " + code);
            }
            return PublishResult.rejected("HTTP " + code);
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder(64);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new EOFException("The receiver closed the connection");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /**
     * The JDK's {@link HttpClient} (HTTP/1.1) as publisher, to compare with: the same answers as
     * {@link PlainHttpPublisher}.
     */
    static final class JdkHttpPublisher implements OutboxPublisher, AutoCloseable {

        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        private final Duration timeout;

        JdkHttpPublisher(Duration timeout) {
            this.timeout = timeout;
        }

        @Override
        public PublishResult publish(OutboxMessage message, int attempt) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(message.destination())).timeout(timeout)
                    .header("webhook-id", message.id())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(message.payload()));
            for (Header header : message.headers()) {
                request.header(header.name(), header.value());
            }
            int status = client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status >= 200 && status < 300) {
                return PublishResult.delivered();
            }
            if (status == 408 || status == 429 || status >= 500) {
                return PublishResult.retry("HTTP " + status);
            }
            return PublishResult.rejected("HTTP " + status);
        }

        @Override
        public void close() {
            // The JDK 17 client has no close; its threads end with the JVM.
        }
    }

    /** The shipped {@link WebhookPublisher}: what a relay publishing signed webhooks does. */
    record SignedPublisher(WebhookPublisher publisher) implements OutboxPublisher, AutoCloseable {

        @Override
        public PublishResult publish(OutboxMessage message, int attempt) throws Exception {
            return publisher.publish(message, attempt);
        }

        @Override
        public void close() {
            // The publisher's JDK client has no close; its threads end with the JVM.
        }
    }

    /** Delivers every message at once without sending it, telling the receiver it arrived. */
    record NoPublisher(Receiver receiver) implements OutboxPublisher, AutoCloseable {

        @Override
        public PublishResult publish(OutboxMessage message, int attempt) {
            receiver.count(message.id());
            return PublishResult.delivered();
        }

        @Override
        public void close() {
        }
    }

    /** A local receiver that answers 200 with no body, and counts each {@code webhook-id} it sees. */
    static final class Receiver implements AutoCloseable {

        private final HttpServer server;
        private final ExecutorService threads;
        private final Map<String, Integer> seen = new ConcurrentHashMap<>();
        private final AtomicLong received = new AtomicLong();

        private Receiver(HttpServer server, ExecutorService threads) {
            this.server = server;
            this.threads = threads;
        }

        static Receiver start() throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            ExecutorService threads = Executors.newFixedThreadPool(8);
            Receiver receiver = new Receiver(server, threads);
            server.createContext("/hooks", exchange -> {
                try (InputStream body = exchange.getRequestBody()) {
                    body.readAllBytes();
                }
                receiver.count(exchange.getRequestHeaders().getFirst("webhook-id"));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.setExecutor(threads);
            server.start();
            return receiver;
        }

        void count(String id) {
            if (id != null) {
                seen.merge(id, 1, Integer::sum);
            }
            received.incrementAndGet();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
        }

        long received() {
            return seen.size();
        }

        long duplicates() {
            return received.get() - seen.size();
        }

        @Override
        public void close() {
            server.stop(0);
            threads.shutdownNow();
        }
    }
}
