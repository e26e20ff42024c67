package dev.idempotency.examples;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.IdempotencyException;
import dev.idempotency.IdempotencyProperties;
import dev.idempotency.jdbc.IdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.micrometer.IdempotencyMetrics;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import dev.idempotency.webhooks.WebhookPublisher;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import dev.idempotency.webhooks.WebhookSecret;
import dev.idempotency.webhooks.WebhookSigner;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.FilterMapping;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.flywaydb.core.Flyway;

/**
 * A small publishing API that shows the library end to end: an embedded Jetty 12 server, the
 * {@link IdempotencyFilter} in front of the API's endpoints, and a {@link JdbcIdempotencyStore} whose
 * transaction the handler's own insert joins, so a post and the stored response are committed together.
 * One endpoint, {@code POST /payments}, shows the other mode, for effects that leave the database.
 *
 * <p>Every new post also emits a {@code post.published} event, and the demo receives it itself, so the whole
 * of exactly-once processing runs in one process: post &rarr; outbox &rarr; signed webhook &rarr; verified,
 * deduplicated receipt.
 * <ol>
 * <li>{@code POST /posts} enqueues the event in a {@link JdbcOutbox} on the store's pool, in the request's
 * transaction ({@link PostEvents}): post, event and stored response commit together or not at all.</li>
 * <li>An {@link OutboxRelay} in the server publishes committed events, at least once, through a
 * {@link WebhookPublisher}: each attempt is a Standard Webhooks request signed with the webhook secret, whose
 * {@code webhook-id} is the event's id on every attempt. They go to {@code --webhook-url}, by default the
 * demo's own receiver ({@code http://<address>:<port>}{@value #WEBHOOK_PATH}, with the address and port
 * actually bound).</li>
 * <li>{@code POST} {@value #WEBHOOK_PATH} sits behind a {@link WebhookReceiverFilter} (consumer
 * {@value #WEBHOOK_CONSUMER}, a {@link JdbcInbox} on the same pool, the same secret): it refuses a request
 * whose signature or timestamp does not verify (401), records the event in {@code received_events} in the
 * inbox's transaction ({@link PostPublishedReceiver}), and answers a redelivered {@code webhook-id} 204
 * without recording it again.</li>
 * </ol>
 * {@code --round-trip} runs through all of it once and prints each step ({@link RoundTrip}).
 *
 * <p>{@code GET /metrics} serves the library's metrics in the Prometheus text format: every component above
 * reports to one {@link IdempotencyMetrics} on a Prometheus registry.
 *
 * <p><b>The idempotency filter covers the API's paths only</b> ({@code /posts}, {@code /posts/*},
 * {@code /payments}, {@code /payments/*}), not {@code /webhooks/*}: an idempotent request holds a transaction
 * on the store's pool, and the inbox refuses to run inside another transaction on its pool, because it
 * commits its marker with the handler's writes in a transaction of its own. The webhook's own
 * {@code webhook-id} is its idempotency key.
 *
 * <p>Without {@code --webhook-secret} a new secret is generated at every start and never shown: the relay
 * signs each attempt when it sends it, so events left pending across a restart are signed with the running
 * process's secret and verified by its own receiver. A receiver elsewhere needs the secret: give the demo
 * {@code --webhook-url} and that receiver's {@code --webhook-secret}. An event's destination is fixed when it
 * is enqueued: with the default {@code --port 8080} it stays the demo's own receiver across restarts; with
 * {@code --port 0}, events still pending at a stop are sent to the old port after a restart and keep being
 * retried (with backoff, for about two days) until that port answers.
 *
 * <pre>
 * java -jar examples/target/idempotency-example.jar [--host 127.0.0.1] [--port 8080] [--data-dir DIR]
 *      [--jdbc-url URL --jdbc-user U --jdbc-password P] [--key-ttl DURATION]
 *      [--payments-url URL] [--lease-duration DURATION]
 *      [--webhook-url URL] [--webhook-secret whsec_...] [--broker URI] [--round-trip]
 * </pre>
 *
 * <p>With {@code --broker} ({@code amqp://}, {@code nats://} or {@code kafka://}), {@code post.published} goes to
 * that broker instead of as a webhook, and the demo consumes it back with the library's inbox consumer for it
 * ({@link EventBroker}, {@link BrokerReceiver}) into the same {@code received_events}.
 *
 * <p>Without {@code --jdbc-url} the data lives in an embedded H2 database in files under the data
 * directory (default {@value Options#DEFAULT_DATA_DIR}), so keys, posts and payments survive a restart;
 * with it, in that database: PostgreSQL, MariaDB or MySQL (through either driver; the database must exist). The store migrates its own table with its own Flyway
 * history table ({@value IdempotencySchema#HISTORY_TABLE}), which also creates the outbox's and the
 * inbox's tables; the demo then migrates its {@code posts}, {@code payments} and {@code received_events}
 * tables with a second, ordinary Flyway history ({@code flyway_schema_history}) in the same schema, and the
 * two never clash.
 *
 * <p>Endpoints. Clients identify themselves with the {@value #CLIENT_HEADER} header, which is the
 * idempotency scope: keys are kept per API key. Every {@code POST} to the API ({@code /posts},
 * {@code /payments}) needs an {@code Idempotency-Key}; the webhook receiver deduplicates on {@code webhook-id}.
 * <ul>
 * <li>{@code POST /posts} with {@code {"account_id": "...", "content": "..."}}: 201, {@code Location:
 * /posts/{id}} and the post as JSON ({@code id}, {@code account_id}, {@code content},
 * {@code created_at}); 400 problem naming a missing or invalid field, or text the database cannot store
 * exactly ({@link TextFields}). A retry with the same key gets the
 * same answer with {@code Idempotent-Replayed: true}; the same key with another body gets 422. Runs in
 * transaction mode: the insert and the stored answer commit together.</li>
 * <li>{@code GET /posts?account_id=A}: that account's posts, in id order.</li>
 * <li>{@code GET /posts/{id}}: one post, or 404.</li>
 * <li>{@code POST /payments} with {@code {"account_id": "...", "amount": 1250}}: charges the payment
 * service at {@code --payments-url} (passing it {@code IdempotencyContext.derivedKey("charge")} as its
 * {@code Idempotency-Key}), records the payment, and answers 201 with {@code Location: /payments/{id}} and
 * the payment ({@code id}, {@code account_id}, {@code amount}, {@code charge_id}, {@code created_at}).
 * Runs in lease mode ({@value #PAYMENTS_PATH} is the one lease path, with {@code --lease-duration},
 * default {@value Options#DEFAULT_LEASE_DURATION}): a duplicate while it runs gets 409 with a
 * {@code Retry-After} taken from the lease, and after a crash the retry runs again once the lease ran out.
 * Without {@code --payments-url} it answers 503 ("no payment provider configured"); when the service fails,
 * 502. See {@link PaymentsServlet} for how it stays exactly once across such a retry.</li>
 * <li>{@code GET /payments?account_id=A} and {@code GET /payments/{id}}: as for posts.</li>
 * <li>{@code POST} {@value #WEBHOOK_PATH}: the webhook receiver (above); 200 with the receipt, 204 for a
 * duplicate, 401 problem for a webhook that does not verify.</li>
 * <li>{@code GET} {@value #RECEIVED_PATH}{@code [?post_id=N]}: what the receiver recorded
 * ({@link ReceivedEventsServlet}).</li>
 * <li>{@code GET /health}: 200 {@code {"status":"ok"}}, or 503 when the database does not answer.</li>
 * </ul>
 *
 * <p>Every other answer is an RFC 9457 problem ({@link Problems}), whoever gives it: a method a path does not
 * support ({@code TRACE} everywhere) is 405 with {@code Allow}, and a body in a content coding 415, both
 * before the idempotency filter ({@link UnsupportedRequestFilter}); a 5xx says what is true of the failed
 * request on its path and in its mode, and a handler whose database cannot serve gets 503 with
 * {@code Retry-After} ({@link ErrorServlet}); what Jetty refuses before any handler runs is answered by the
 * server's own {@link ServerErrorHandler}. Jetty is set against slow clients ({@link ServerLimits}): a body
 * slower than the minimum data rate, or a client silent for the idle timeout, gets 408.
 *
 * <p>Demo-only fault knobs on both {@code POST}s (see {@link PostsServlet}), to watch the filter at
 * work; they have no place in a real API: {@code X-Demo-Delay-Ms: N} sleeps N ms after the insert (after
 * the charge and the payment row on {@code /payments}; a concurrent duplicate then gets 409 with
 * {@code Retry-After}); {@code X-Demo-Fail: true} throws after it (500; the insert is rolled back, or the
 * lease released, and a retry with the same key runs again).
 *
 * <p>In code, {@link #start(Options)} runs the server in-process and returns this running handle; tests
 * use it with port 0.
 */
public final class PublishingApiServer implements AutoCloseable {

    /** The request header that identifies the client, and so the scope its idempotency keys live in. */
    public static final String CLIENT_HEADER = "X-Api-Key";

    /** The exit status for an unusable command line, including an invalid option value. */
    public static final int EXIT_USAGE = 2;

    /** The exit status when the server cannot start (the database is unreachable, say). */
    public static final int EXIT_FAILURE = 1;

    /** The file name (without H2's suffix) of the embedded database inside the data directory. */
    static final String H2_DATABASE_NAME = "publishing";

    /** How long stopping waits for requests in flight to finish before cutting them off. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** The one path that runs in lease mode: {@code POST /payments}, whose effect is a downstream charge. */
    static final String PAYMENTS_PATH = "/payments";

    /**
     * The paths the idempotency filter covers: the API's, and not {@code /webhooks/*}, where the inbox needs a
     * transaction of its own. A prefix pattern such as {@code /posts/*} also matches {@code /posts} itself;
     * the exact paths are listed too, for the reader. One mapping holds them all, so a request matching two
     * of them passes through the filter once.
     */
    static final List<String> IDEMPOTENT_PATHS = List.of("/posts", "/posts/*", PAYMENTS_PATH, PAYMENTS_PATH + "/*");

    /** The webhook receiver's path, the default destination of {@code post.published} webhooks. */
    static final String WEBHOOK_PATH = "/webhooks/post-published";

    /** Where the received events are listed. */
    static final String RECEIVED_PATH = "/webhooks/received";

    /** The consumer name the receiver's inbox markers are kept under. */
    static final String WEBHOOK_CONSUMER = "publishing-demo";

    /**
     * How long the idle relay waits before looking for new events again; shorter than the library's default
     * ({@link OutboxRelayConfig#DEFAULT_POLL_INTERVAL}), so that an event reaches the receiver while one
     * watches. Every other relay setting is the library's default.
     */
    static final Duration RELAY_POLL_INTERVAL = Duration.ofMillis(200);

    /** The largest webhook body the receiver reads; a post of 10 000 characters fits, escaped, many times over. */
    static final int WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

    /** Where a load balancer asks whether the server can serve. */
    static final String HEALTH_PATH = "/health";

    /** The Prometheus scrape endpoint. */
    static final String METRICS_PATH = "/metrics";

    /** The path of the error page, reached only through Jetty's ERROR dispatch. */
    static final String ERROR_PATH = "/error";

    /** The program's name, in front of what it prints on the error stream. */
    static final String PROGRAM = "idempotency-example";

    private final Server jetty;
    private final JdbcIdempotencyStore store;
    private final JdbcInbox inbox;
    private final OutboxRelay relay;
    private final EventBroker broker;
    private final WebhookSecret webhookSecret;
    private final InetSocketAddress bound;
    private final URI localUri;
    private final URI webhookUrl;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private PublishingApiServer(Server jetty, JdbcIdempotencyStore store, JdbcInbox inbox, OutboxRelay relay,
            EventBroker broker, WebhookSecret webhookSecret, InetSocketAddress bound, URI localUri, URI webhookUrl) {
        this.jetty = jetty;
        this.store = store;
        this.inbox = inbox;
        this.relay = relay;
        this.broker = broker;
        this.webhookSecret = webhookSecret;
        this.bound = bound;
        this.localUri = localUri;
        this.webhookUrl = webhookUrl;
    }

    /**
     * Runs the server from the command line: prints {@code Listening on http://ADDRESS:PORT}, with the address
     * and port actually bound ({@link #baseUri()}), once it accepts requests, then where the webhooks go, and
     * stops the relay, Jetty and the database on SIGTERM or Ctrl-C. Exits with {@value #EXIT_USAGE} after
     * printing the usage for an unusable command line (an invalid option value or a {@code --host} that does
     * not resolve included), and with {@value #EXIT_FAILURE} when the server cannot start. With
     * {@code --round-trip}, runs {@link RoundTrip} instead and exits with its status.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("client")) {
            System.exit(dev.idempotency.examples.client.ClientCommand.run(
                    java.util.Arrays.asList(args).subList(1, args.length), System.out, System.err));
            return;
        }
        Options options;
        try {
            Optional<Options> parsed = Options.parse(args);
            if (parsed.isEmpty()) {
                System.out.println(Options.USAGE);
                return;
            }
            options = parsed.get();
        } catch (Options.UsageException e) {
            usageError(e);
            return;
        }
        if (options.roundTrip()) {
            System.exit(RoundTrip.run(options, System.out, System.err));
            return;
        }
        PublishingApiServer server;
        try {
            server = start(options);
        } catch (Options.UsageException e) {
            usageError(e);
            return;
        } catch (IdempotencyConfigException e) {
            // Only option values reach the config here (--key-ttl, --lease-duration, --webhook-secret), so this
            // is a usage error too. The library's message never quotes a secret.
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(EXIT_USAGE);
            return;
        } catch (IdempotencyException e) {
            // The library's failures (a database that cannot be reached, a schema it cannot migrate) say in
            // their message what went wrong and where; a stack trace would only bury that line.
            System.err.println(PROGRAM + ": could not start: " + e.getMessage());
            System.exit(EXIT_FAILURE);
            return;
        } catch (Exception e) {
            System.err.println(PROGRAM + ": could not start: " + e.getMessage());
            e.printStackTrace();
            System.exit(EXIT_FAILURE);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, PROGRAM + "-shutdown"));
        System.out.println("Listening on " + server.baseUri());
        if (server.broker().isPresent()) {
            System.out.println("Sending " + PostEvents.PUBLISHED + " to " + server.broker().get().describe()
                    + ", consumed back into " + RECEIVED_PATH);
        } else {
            System.out.println("Sending " + PostEvents.PUBLISHED + " webhooks to " + server.webhookUrl());
        }
        System.out.flush();
        server.join();
    }

    private static void usageError(Options.UsageException e) {
        System.err.println(PROGRAM + ": " + e.getMessage());
        System.err.println(Options.USAGE);
        System.exit(EXIT_USAGE);
    }

    /**
     * Starts the server: reads the settings, opens and migrates the database, starts Jetty, then the outbox
     * relay. Returns once requests are accepted. The caller owns the result and must {@link #stop()} it.
     *
     * @throws IdempotencyConfigException naming {@code --key-ttl}, {@code --lease-duration} or
     *     {@code --webhook-secret} (never the secret itself), before anything is opened, if it cannot be read
     * @throws Options.UsageException naming {@code --host}, before anything is opened, if it does not resolve
     * @throws dev.idempotency.spi.StoreException if the database cannot be reached or migrated
     * @throws Exception if Jetty cannot start (the port is taken, say)
     */
    public static PublishingApiServer start(Options options) throws Exception {
        return start(options, ServerLimits.DEFAULTS);
    }

    /** {@link #start(Options)} with other limits for Jetty than the demo's own, for tests. */
    static PublishingApiServer start(Options options, ServerLimits limits) throws Exception {
        return start(options, limits, EventBroker.DEFAULT_NAME, false);
    }

    /**
     * {@link #start(Options, ServerLimits)} with the broker-side names of {@code --broker} starting with
     * {@code brokerName}, deleted when the server stops if {@code temporaryBroker} (the round trip's).
     */
    static PublishingApiServer start(Options options, ServerLimits limits, String brokerName, boolean temporaryBroker)
            throws Exception {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(brokerName, "brokerName");
        // First, so that a bad value fails before a database file or a port is touched.
        IdempotencyConfig config = idempotencyConfig(options);
        WebhookSecret secret = webhookSecret(options);
        InetAddress address = resolve(options.host());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        IdempotencyMetrics metrics = IdempotencyMetrics.create(registry);
        JdbcIdempotencyStore store = openStore(options, metrics);
        JdbcInbox inbox = null;
        OutboxRelay relay = null;
        EventBroker broker = null;
        try {
            DataSource dataSource = store.transactionalDataSource();
            DatabaseFlavour flavour = DatabaseFlavour.of(store.engine());
            migrateTables(dataSource, flavour);
            // Both on the store's pool (its transactionalDataSource() is unwrapped to it), so that they find the
            // transactions bound on it: enqueue() joins the idempotent request's, and the receiver's writes join
            // the inbox's.
            JdbcOutbox outbox = JdbcOutbox.builder().dataSource(dataSource).listener(metrics).build();
            inbox = JdbcInbox.builder().dataSource(dataSource).listener(metrics).build();
            metrics.bindOutbox(outbox).bindPurgeBacklog(store);
            if (options.broker().isPresent()) {
                broker = EventBroker.of(options.broker().get(), brokerName, temporaryBroker);
                broker.setUp();
            }
            // One relay, one publisher: the router sends a webhook URL's events as signed webhooks and the
            // broker's through the broker's publisher, whichever way each event was enqueued.
            relay = outbox.relay(new EventRouter(WebhookPublisher.create(WebhookSigner.create(secret)), broker),
                    OutboxRelayConfig.custom().pollInterval(RELAY_POLL_INTERVAL).build());
            PostRepository posts = new PostRepository(dataSource, flavour);
            ReceivedEventRepository receipts = new ReceivedEventRepository(inbox.transactionalDataSource(), flavour);
            ObjectMapper json = JsonMapper.builder()
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    // {"content": "a", "content": "b"} is ambiguous; refuse it instead of picking one.
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build();

            Server jetty = new Server(threadPool(limits));
            ServerConnector connector = connector(jetty, limits);
            connector.setHost(address.getHostAddress());
            connector.setPort(options.port());
            jetty.addConnector(connector);
            // The demo's own receiver by default; its address is known once Jetty listens, before any request.
            Supplier<URI> webhookUrl = options.webhookUrl().<Supplier<URI>>map(url -> () -> url)
                    .orElse(() -> reachable(address, boundAddress(connector)).resolve(WEBHOOK_PATH));
            // With --broker, new events go to the broker instead of as webhooks.
            EventBroker eventBroker = broker;
            Supplier<String> destination = eventBroker != null ? eventBroker::destination
                    : () -> webhookUrl.get().toString();

            ServletContextHandler context = new ServletContextHandler();
            context.setContextPath("/");
            // A client that went silent while its body was read gets 408, wherever the body is read.
            context.addFilter(new FilterHolder(new RequestTimeoutFilter()), "/*", EnumSet.of(DispatcherType.REQUEST));
            // In front of the idempotency filter: each path's methods, declared beside its servlet below.
            context.addFilter(new FilterHolder(UnsupportedRequestFilter.builder(json)
                    .path("/posts", "GET", "POST").below("/posts", "GET")
                    .path(PAYMENTS_PATH, "GET", "POST").below(PAYMENTS_PATH, "GET")
                    .path(WEBHOOK_PATH, "POST")
                    .path(RECEIVED_PATH, "GET")
                    .path(HEALTH_PATH, "GET")
                    .path(METRICS_PATH, "GET")
                    .build()), "/*", EnumSet.of(DispatcherType.REQUEST));
            IdempotencyFilter filter = IdempotencyFilter.builder(store)
                    .config(config)
                    .scopeResolver(ScopeResolver.header(CLIENT_HEADER))
                    .listener(metrics)
                    .build();
            FilterHolder idempotency = new FilterHolder(filter);
            idempotency.setName("idempotency");
            FilterMapping apiPaths = new FilterMapping();
            apiPaths.setFilterName(idempotency.getName());
            apiPaths.setPathSpecs(IDEMPOTENT_PATHS.toArray(String[]::new));
            apiPaths.setDispatcherTypes(EnumSet.of(DispatcherType.REQUEST));
            context.getServletHandler().addFilter(idempotency, apiPaths);
            context.addServlet(new ServletHolder("posts", new PostsServlet(posts, new PostEvents(outbox, json,
                    destination), json, config.clock())), "/posts/*");
            PaymentProvider provider = options.paymentsUrl().map(url -> new PaymentProvider(url, json)).orElse(null);
            context.addServlet(new ServletHolder("payments", new PaymentsServlet(new PaymentRepository(dataSource, flavour),
                    provider, json, config.clock())), PAYMENTS_PATH + "/*");

            WebhookReceiverFilter receiver = WebhookReceiverFilter.builder(inbox, WEBHOOK_CONSUMER)
                    .secrets(secret)
                    .maxBodyBytes(WEBHOOK_MAX_BODY_BYTES)
                    .listener(metrics)
                    .build();
            context.addFilter(new FilterHolder(receiver), WEBHOOK_PATH, EnumSet.of(DispatcherType.REQUEST));
            context.addServlet(new ServletHolder("post-published", new PostPublishedReceiver(receipts, json,
                    config.clock())), WEBHOOK_PATH);
            context.addServlet(new ServletHolder("received", new ReceivedEventsServlet(receipts, json)),
                    RECEIVED_PATH);

            context.addServlet(new ServletHolder("health", new HealthServlet(posts)), HEALTH_PATH);
            context.addServlet(new ServletHolder("metrics", new MetricsServlet(registry)), METRICS_PATH);
            ContainerRefusals refusals = new ContainerRefusals(limits);
            context.addServlet(new ServletHolder("error", new ErrorServlet(json, refusals, config)), ERROR_PATH);
            ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
            errors.addErrorPage(ErrorPageErrorHandler.GLOBAL_ERROR_PAGE, ERROR_PATH);
            context.setErrorHandler(errors);

            // What Jetty refuses before the context sees the request (a malformed header, say) is answered
            // here, as problem JSON too.
            jetty.setErrorHandler(new ServerErrorHandler(json, refusals));
            // Requests in flight finish (and commit or roll back) before the store's pool is closed.
            jetty.setHandler(new GracefulHandler(context));
            jetty.setStopTimeout(STOP_TIMEOUT.toMillis());
            if (broker != null) {
                // The broker's inbox consumer records into received_events, as the webhook receiver does. Before
                // Jetty, which a failure here would otherwise leave running.
                broker.startConsumer(inbox, new BrokerReceiver(receipts, json, config.clock()));
            }
            try {
                jetty.start();
            } catch (Exception e) {
                stopQuietly(jetty, e);
                throw e;
            }
            // After Jetty, so that events still pending from the last run find the demo's own receiver listening.
            relay.start();
            return new PublishingApiServer(jetty, store, inbox, relay, broker, secret, boundAddress(connector),
                    reachable(address, boundAddress(connector)), webhookUrl.get());
        } catch (Exception | Error e) {
            if (relay != null) {
                relay.close();
            }
            if (broker != null) {
                try {
                    broker.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (inbox != null) {
                inbox.close();
            }
            store.close();
            throw e;
        }
    }

    /** Jetty's thread pool, of {@link ServerLimits#maxThreads()} threads, named for thread dumps. */
    private static QueuedThreadPool threadPool(ServerLimits limits) {
        QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads());
        threads.setName(PROGRAM);
        return threads;
    }

    /**
     * The HTTP/1.1 connector, with the limits against slow and oversized requests ({@link ServerLimits}): the
     * minimum request data rate, the idle timeout, the listen backlog and the header size. It does not name
     * Jetty and its version in a {@code Server} header: nothing a client needs, and a help to an attacker.
     */
    private static ServerConnector connector(Server jetty, ServerLimits limits) {
        HttpConfiguration http = new HttpConfiguration();
        http.setMinRequestDataRate(limits.minRequestDataRate());
        http.setRequestHeaderSize(limits.requestHeaderBytes());
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(limits.acceptQueueSize());
        return connector;
    }

    /** The address {@code --host} names: a literal as it is, a name as the resolver answers (its first address). */
    private static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new Options.UsageException("Cannot listen on --host '" + host + "': no address is known for that "
                    + "name");
        }
    }

    /** The address and port the connector listens on: for port 0 the port picked, for a name its address. */
    private static InetSocketAddress boundAddress(ServerConnector connector) {
        try {
            return (InetSocketAddress) ((ServerSocketChannel) connector.getTransport()).getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("The server's listening address cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * {@code http://ADDRESS:PORT}: an IPv6 address in brackets and in its short form ({@code [::1]}, as RFC 5952
     * writes it), with its zone, if any, escaped as URIs want.
     */
    static URI httpUri(InetAddress address, int port) {
        if (!(address instanceof Inet6Address)) {
            return URI.create("http://" + address.getHostAddress() + ":" + port);
        }
        String full = address.getHostAddress();
        int percent = full.indexOf('%');
        String zone = percent < 0 ? "" : "%25" + full.substring(percent + 1);
        String[] groups = (percent < 0 ? full : full.substring(0, percent)).split(":");
        // The longest run of two or more zero groups (the first of equals) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < groups.length; i++) {
            int length = 0;
            while (i + length < groups.length && groups[i + length].equals("0")) {
                length++;
            }
            if (length > bestLength) {
                bestStart = i;
                bestLength = length;
            }
        }
        String literal = bestStart < 0 ? String.join(":", groups)
                : String.join(":", Arrays.copyOfRange(groups, 0, bestStart)) + "::"
                        + String.join(":", Arrays.copyOfRange(groups, bestStart + bestLength, groups.length));
        return URI.create("http://[" + literal + zone + "]:" + port);
    }

    /**
     * Where this machine reaches a server asked to listen on {@code requested} and bound to {@code bound}: the
     * bound address, or for a wildcard (every interface, the loopback one included) the loopback address of
     * the family asked for. The family asked for, because Java binds an IPv4 wildcard as the IPv6 one on a
     * dual-stack system, and a system without IPv6 has no {@code ::1}.
     */
    static URI reachable(InetAddress requested, InetSocketAddress bound) {
        if (!requested.isAnyLocalAddress()) {
            return httpUri(bound.getAddress(), bound.getPort());
        }
        return URI.create("http://" + (requested instanceof Inet6Address ? "[::1]" : "127.0.0.1") + ":"
                + bound.getPort());
    }

    /** Whether {@code path} (a request URI) is one {@link #IDEMPOTENT_PATHS} covers, as the servlet mapping matches. */
    static boolean isIdempotentPath(String path) {
        for (String pattern : IDEMPOTENT_PATHS) {
            boolean matches = pattern.endsWith("/*")
                    ? path.equals(pattern.substring(0, pattern.length() - 2))
                            || path.startsWith(pattern.substring(0, pattern.length() - 1))
                    : path.equals(pattern);
            if (matches) {
                return true;
            }
        }
        return false;
    }

    /** The webhook secret: {@code --webhook-secret}, read by the library's parser, or a new one. */
    private static WebhookSecret webhookSecret(Options options) {
        return options.webhookSecret().map(text -> WebhookSecret.parse("--webhook-secret", text))
                .orElseGet(WebhookSecret::generate);
    }

    /**
     * The library's settings: the defaults, {@code --key-ttl}, {@code --lease-duration}, {@code --claim}, and lease
     * mode for
     * {@value #PAYMENTS_PATH}.
     */
    private static IdempotencyConfig idempotencyConfig(Options options) {
        // Read with the library's own parser, as properties, so --key-ttl accepts exactly what
        // idempotency.key-ttl accepts, and the settings that depend on each other are checked together.
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(IdempotencyProperties.LEASE_PATHS, PAYMENTS_PATH);
        options.keyTtl().ifPresent(value -> properties.put(IdempotencyProperties.KEY_TTL, value));
        options.leaseDuration().ifPresent(value -> properties.put(IdempotencyProperties.LEASE_DURATION, value));
        options.claim().ifPresent(value -> properties.put(IdempotencyProperties.CLAIM, value));
        try {
            return IdempotencyProperties.parse(properties);
        } catch (IdempotencyConfigException e) {
            // The user typed the option, not the property: name both, and keep the library's explanation
            // ("expected a positive duration", "at most 365d", "shorter than idempotency.lease-duration").
            String option = OPTIONS_BY_PROPERTY.get(e.setting());
            throw option == null ? e : e.renamed(option + " (" + e.setting() + ")", e.value());
        }
    }

    /** The command-line option behind each property the demo sets from one. */
    private static final Map<String, String> OPTIONS_BY_PROPERTY = Map.of(IdempotencyProperties.KEY_TTL, "--key-ttl",
            IdempotencyProperties.LEASE_DURATION, "--lease-duration", IdempotencyProperties.CLAIM, "--claim");

    private static JdbcIdempotencyStore openStore(Options options, IdempotencyMetrics metrics) throws IOException {
        JdbcIdempotencyStore.Builder builder = JdbcIdempotencyStore.builder().listener(metrics);
        if (options.jdbcUrl().isPresent()) {
            builder.jdbcUrl(options.jdbcUrl().get())
                    .username(options.jdbcUser().orElse(null))
                    .password(options.jdbcPassword().orElse(null));
        } else {
            builder.jdbcUrl(h2Url(options.dataDir())).username("sa").password("");
        }
        return builder.build();
    }

    /**
     * The embedded database's URL. The path is absolute so the database does not move with the working
     * directory; H2's own shutdown hook is off because {@link #stop()} closes the pool in order, after the
     * last request finished; and {@code WRITE_DELAY=0} makes every commit durable before the client is
     * answered: H2's default writes commits up to half a second later, so a process killed right after a
     * 201 lost the post and its stored outcome, and the retry ran again.
     */
    static String h2Url(Path dataDir) throws IOException {
        Path dir = dataDir.toAbsolutePath().normalize();
        if (dir.toString().contains(";")) {
            // H2 would read what follows the ';' as a setting, not as part of the path.
            throw new IllegalArgumentException("The data directory cannot contain ';': " + dir);
        }
        Files.createDirectories(dir);
        return "jdbc:h2:file:" + dir.resolve(H2_DATABASE_NAME) + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
    }

    /**
     * Creates or upgrades the {@code posts}, {@code payments} and {@code received_events} tables with the
     * demo's own Flyway history, from the engine's folder as the store does: one script serves PostgreSQL and
     * H2, another MariaDB and MySQL.
     * It runs after the store has created its table, so the schema is never empty here: version 0 as the
     * baseline lets V1 still run.
     */
    private static void migrateTables(DataSource dataSource, DatabaseFlavour flavour) {
        Flyway.configure(PublishingApiServer.class.getClassLoader())
                .dataSource(dataSource)
                .locations(flavour.migrations())
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .cleanDisabled(true)
                .load()
                .migrate();
    }

    private static void stopQuietly(Server jetty, Exception cause) {
        try {
            jetty.stop();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }

    /** The port the server listens on: the one asked for, or the one picked for port 0. */
    public int port() {
        return bound.getPort();
    }

    /**
     * The address and port the server listens on, as the demo prints it: {@code http://127.0.0.1:8080} by
     * default, {@code http://[::1]:8080} for {@code --host ::1}, the address a {@code --host} name resolved
     * to, or the wildcard when it listens on every interface ({@code http://0.0.0.0:8080}, or
     * {@code http://[::]:8080} where Java binds the IPv4 wildcard as the dual-stack IPv6 one, as on Linux).
     */
    public URI baseUri() {
        return httpUri(bound.getAddress(), bound.getPort());
    }

    /**
     * Where a client on this machine reaches the server: {@link #baseUri()}, or for a wildcard address the
     * loopback address.
     */
    URI localUri() {
        return localUri;
    }

    /**
     * The database the server uses, as its handlers see it (outside a request it is the store's pool).
     * Valid until {@link #stop()}.
     */
    public DataSource dataSource() {
        return store.transactionalDataSource();
    }

    /** How the demo's own SQL passes times on the server's database. */
    DatabaseFlavour databaseFlavour() {
        return DatabaseFlavour.of(store.engine());
    }

    /**
     * Where {@code post.published} webhooks are sent: {@code --webhook-url}, or the demo's own receiver at
     * {@link #localUri()}{@value #WEBHOOK_PATH}.
     */
    public URI webhookUrl() {
        return webhookUrl;
    }

    /** The broker of {@code --broker}, if any. */
    Optional<EventBroker> broker() {
        return Optional.ofNullable(broker);
    }

    /** The secret webhooks are signed and verified with; a credential, for the round trip and tests. */
    WebhookSecret webhookSecret() {
        return webhookSecret;
    }

    /** Jetty's thread pool, for tests that watch it fill up. */
    QueuedThreadPool threadPool() {
        return (QueuedThreadPool) jetty.getThreadPool();
    }

    /** Waits until the server has stopped. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /**
     * Stops the outbox relay (letting its batch in flight be delivered and marked, up to
     * {@link OutboxRelay#CLOSE_TIMEOUT}; events not yet sent stay in the outbox for the next start), then
     * Jetty, letting requests in flight finish for up to {@link #STOP_TIMEOUT}, then closes the inbox, the
     * store and its pool. Safe to call more than once and from a shutdown hook.
     *
     * @throws IllegalStateException if Jetty failed to stop (the rest is closed all the same)
     */
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        try {
            try {
                // First, while the demo's own receiver still answers the relay's batch in flight.
                relay.close();
            } finally {
                jetty.stop();
            }
        } catch (Exception e) {
            throw new IllegalStateException("Jetty did not stop cleanly: " + e.getMessage(), e);
        } finally {
            try {
                if (broker != null) {
                    // After the relay, which publishes through it, and before the inbox its consumer writes to.
                    broker.close();
                }
            } finally {
                try {
                    inbox.close();
                } finally {
                    store.close();
                }
            }
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "PublishingApiServer[" + baseUri() + ", " + store + "]";
    }
}
