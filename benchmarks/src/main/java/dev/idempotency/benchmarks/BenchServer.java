package dev.idempotency.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.idempotency.ClaimStrategy;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.caffeine.ReplayCache;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.micrometer.IdempotencyMetrics;
import dev.idempotency.servlet.IdempotencyFilter;
import dev.idempotency.servlet.ScopeResolver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.function.Function;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The service under load: embedded Jetty 12 (ee10) like the demo, with the same {@code POST /posts}
 * handler mounted five times on one pool, so every scenario runs in the same process at the same time of
 * day:
 * <ul>
 * <li>{@value #BASELINE}: no filter; the handler commits its insert in its own transaction;</li>
 * <li>{@value #BASELINE_AUTO_COMMIT}: no filter; the insert in auto-commit (one statement, for reference);</li>
 * <li>{@value #NO_DATABASE}: no filter, no insert: the cost of HTTP and JSON alone, for reference;</li>
 * <li>{@value #TRANSACTION}: behind the filter in transaction mode (the default);</li>
 * <li>{@value #LEASE}: behind the filter in lease mode ({@code idempotency.lease-paths=/lease/*});</li>
 * <li>{@value #OPTIMISTIC}: behind a filter on the same store in transaction mode with the optimistic claim
 * ({@code idempotency.claim=optimistic});</li>
 * <li>{@value #TRANSACTION_METRICS}: as {@value #TRANSACTION}, behind a second filter on the same store that
 * reports to the Micrometer binding on a Prometheus registry (the cost of the metrics);</li>
 * <li>{@value #CACHED}: as {@value #TRANSACTION}, behind a filter whose store is wrapped in a
 * {@link ReplayCache} (replays that hit it ask the database nothing);</li>
 * <li>{@value #TWO_COMMIT}: behind {@link TwoCommitFilter}, a reimplementation of the two-commit pattern most
 * peer libraries use, with the handler committing its own transaction as in {@value #BASELINE}.</li>
 * </ul>
 * The scope is the {@value #CLIENT_HEADER} header, as in the demo. The background purge is off: the
 * purge benchmark runs it on purpose.
 */
final class BenchServer implements AutoCloseable {

    static final String CLIENT_HEADER = "X-Api-Key";
    static final String BASELINE = "/baseline/posts";
    static final String BASELINE_AUTO_COMMIT = "/autocommit/posts";
    static final String NO_DATABASE = "/nodb/posts";
    static final String TRANSACTION = "/tx/posts";
    static final String LEASE = "/lease/posts";
    static final String TRANSACTION_METRICS = "/txm/posts";
    static final String TWO_COMMIT = "/twocommit/posts";
    static final String CACHED = "/cached/posts";
    static final String OPTIMISTIC = "/txo/posts";

    private final Server jetty;
    private final JdbcIdempotencyStore store;
    private final int port;

    private BenchServer(Server jetty, JdbcIdempotencyStore store, int port) {
        this.jetty = jetty;
        this.store = store;
        this.port = port;
    }

    /**
     * Starts the server on a free port, with the store on {@code pool} (which the store migrates);
     * {@code timestamp} makes an instant a parameter for the database's {@code posts.created_at}.
     */
    static BenchServer start(DataSource pool, Function<Instant, Object> timestamp) throws Exception {
        JdbcIdempotencyStore store = JdbcIdempotencyStore.create(pool);
        ObjectMapper json = JsonMapper.builder().build();
        IdempotencyConfig config = IdempotencyConfig.custom()
                .leasePaths("/lease/*")
                .purgeInterval(Duration.ZERO)
                .build();
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(config)
                .scopeResolver(ScopeResolver.header(CLIENT_HEADER)).build();

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        FilterHolder holder = new FilterHolder(filter);
        context.addFilter(holder, "/tx/*", EnumSet.of(DispatcherType.REQUEST));
        context.addFilter(holder, "/lease/*", EnumSet.of(DispatcherType.REQUEST));
        IdempotencyFilter measured = IdempotencyFilter.builder(store).config(config)
                .scopeResolver(ScopeResolver.header(CLIENT_HEADER))
                .listener(IdempotencyMetrics.create(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))).build();
        context.addFilter(new FilterHolder(measured), "/txm/*", EnumSet.of(DispatcherType.REQUEST));
        // tag::replay-cache[]
        IdempotencyFilter cached = IdempotencyFilter.builder(ReplayCache.builder(store).build()).config(config)
                .scopeResolver(ScopeResolver.header(CLIENT_HEADER)).build();
        // end::replay-cache[]
        context.addFilter(new FilterHolder(cached), "/cached/*", EnumSet.of(DispatcherType.REQUEST));
        context.addFilter(new FilterHolder(TwoCommitFilter.create(pool)), "/twocommit/*",
                EnumSet.of(DispatcherType.REQUEST));
        IdempotencyFilter optimistic = IdempotencyFilter.builder(store)
                .config(IdempotencyConfig.from(config).claim(ClaimStrategy.OPTIMISTIC).build())
                .scopeResolver(ScopeResolver.header(CLIENT_HEADER)).build();
        context.addFilter(new FilterHolder(optimistic), "/txo/*", EnumSet.of(DispatcherType.REQUEST));
        DataSource joined = store.transactionalDataSource();
        context.addServlet(new ServletHolder("tx",
                new PostsServlet(joined, json, PostsServlet.Commit.JOINED, timestamp)), TRANSACTION);
        context.addServlet(new ServletHolder("lease",
                new PostsServlet(joined, json, PostsServlet.Commit.JOINED, timestamp)), LEASE);
        context.addServlet(new ServletHolder("txm",
                new PostsServlet(joined, json, PostsServlet.Commit.JOINED, timestamp)), TRANSACTION_METRICS);
        context.addServlet(new ServletHolder("txo",
                new PostsServlet(joined, json, PostsServlet.Commit.JOINED, timestamp)), OPTIMISTIC);
        context.addServlet(new ServletHolder("baseline",
                new PostsServlet(pool, json, PostsServlet.Commit.OWN_TRANSACTION, timestamp)), BASELINE);
        context.addServlet(new ServletHolder("cached",
                new PostsServlet(joined, json, PostsServlet.Commit.JOINED, timestamp)), CACHED);
        context.addServlet(new ServletHolder("twocommit",
                new PostsServlet(pool, json, PostsServlet.Commit.OWN_TRANSACTION, timestamp)), TWO_COMMIT);
        context.addServlet(new ServletHolder("autocommit",
                new PostsServlet(pool, json, PostsServlet.Commit.AUTO_COMMIT, timestamp)), BASELINE_AUTO_COMMIT);
        context.addServlet(new ServletHolder("nodb",
                new PostsServlet(pool, json, PostsServlet.Commit.NO_DATABASE, timestamp)), NO_DATABASE);

        Server jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        jetty.setHandler(context);
        jetty.start();
        return new BenchServer(jetty, store, connector.getLocalPort());
    }

    int port() {
        return port;
    }

    JdbcIdempotencyStore store() {
        return store;
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
    }
}
