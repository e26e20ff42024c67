package dev.idempotency.servlet;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.spi.IdempotencyStore;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real Jetty 12 (ee10) server on a free port: an authentication stand-in ({@link PrincipalFilter}),
 * then the {@link IdempotencyFilter} on {@code /*} for REQUEST dispatches, in front of
 * {@link OrdersServlet} on {@code /orders/*}, {@link FormServlet} on {@code /forms/*} and
 * {@link DispatchServlet} on {@code /dispatch/*}. The store is a fresh one from
 * {@link StoreUnderTest#open()}: in-memory unless the system property {@value StoreUnderTest#FACTORY_PROPERTY}
 * names another factory. Stopping the server destroys the filter, then the store is closed.
 *
 * <p>By default the filter is built with {@link IdempotencyFilter#builder} from the builder's config and
 * scopes keys by the {@value #API_KEY_HEADER} header, which {@link Call} sends unless told not to.
 */
final class JettyApp implements AutoCloseable {

    static final String API_KEY_HEADER = "X-Api-Key";
    static final String DEFAULT_API_KEY = "client-a";

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final Server server;
    private final ServletContextHandler context;
    private final StoreUnderTest store;
    private final OrdersServlet orders;
    private final FormServlet form;
    private final Map<String, Gate> gates;
    private final BusyWatch busyWatch;

    private JettyApp(Server server, ServletContextHandler context, StoreUnderTest store,
            OrdersServlet orders, FormServlet form, Map<String, Gate> gates, BusyWatch busyWatch) {
        this.server = server;
        this.context = context;
        this.store = store;
        this.orders = orders;
        this.form = form;
        this.gates = gates;
        this.busyWatch = busyWatch;
    }

    static Builder builder() {
        return new Builder();
    }

    /** A request to {@code path} (which may carry a query) with the given method. */
    Call request(String method, String path) {
        return new Call(this, method, path);
    }

    Call post(String path) {
        return request("POST", path);
    }

    Call get(String path) {
        return request("GET", path);
    }

    /** A request written byte by byte on a plain socket, for what HttpClient refuses to send. */
    RawRequest raw(String method, String path) {
        return new RawRequest(port(), method, path);
    }

    HttpClient http() {
        return HTTP;
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + port() + path);
    }

    int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    /** The gate of that name, created on first use by the test or a handler. */
    Gate gate(String name) {
        return gates.computeIfAbsent(name, n -> new Gate());
    }

    /** How many times {@link OrdersServlet} ran. */
    int orderInvocations() {
        return orders.invocations();
    }

    /** What the filter's store answered "busy"; for an app started {@link Builder#watchingBusyClaims()}. */
    BusyWatch busyWatch() {
        if (busyWatch == null) {
            throw new IllegalStateException("Start the app with watchingBusyClaims() to watch its store");
        }
        return busyWatch;
    }

    /** How many times {@link FormServlet} ran. */
    int formInvocations() {
        return form.invocations();
    }

    /**
     * How many records a new reader of the app's store finds (see {@link StoreUnderTest#recordCount()}); ask
     * only while no request with a key is running.
     */
    int recordCount() {
        return store.recordCount();
    }

    ServletContextHandler context() {
        return context;
    }

    /** Lets every held handler go, stops the server, which destroys the filter, and closes the store. */
    @Override
    public void close() {
        gates.values().forEach(Gate::open);
        RuntimeException failure = null;
        try {
            server.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IllegalStateException("Interrupted while stopping Jetty", e);
        } catch (Exception e) {
            failure = new IllegalStateException("Jetty did not stop cleanly", e);
        }
        try {
            store.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** What to start. */
    static final class Builder {

        private IdempotencyConfig config = IdempotencyConfig.ofDefaults();
        private ScopeResolver scopeResolver = ScopeResolver.header(API_KEY_HEADER);
        private Function<IdempotencyStore, Filter> filterFactory;
        private Class<? extends Filter> filterClass;
        private int port;
        private final Map<String, String> initParameters = new LinkedHashMap<>();
        private Consumer<ServletContextHandler> customizer = context -> { };
        private boolean watchBusy;

        private Builder() {
        }

        Builder config(IdempotencyConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        Builder scopeResolver(ScopeResolver scopeResolver) {
            this.scopeResolver = Objects.requireNonNull(scopeResolver, "scopeResolver");
            return this;
        }

        /** Leaves the scope resolver to the filter's own default (the authenticated principal). */
        Builder defaultScopeResolver() {
            this.scopeResolver = null;
            return this;
        }

        /** Registers the filter this factory makes from the app's store instead of the builder-made one. */
        Builder filter(Function<IdempotencyStore, Filter> filterFactory) {
            this.filterFactory = Objects.requireNonNull(filterFactory, "filterFactory");
            return this;
        }

        /**
         * Registers the filter by class, as {@code web.xml} does: the container instantiates it with its
         * no-argument constructor.
         */
        Builder filterClass(Class<? extends Filter> filterClass) {
            this.filterClass = Objects.requireNonNull(filterClass, "filterClass");
            return this;
        }

        /** Listens on this port instead of a free one. */
        Builder port(int port) {
            this.port = port;
            return this;
        }

        Builder initParameter(String name, String value) {
            initParameters.put(name, value);
            return this;
        }

        /**
         * Puts a {@link BusyWatch} between the filter and the store (for the builder-made filter or the
         * {@link #filter} factory's), so a test can wait until requests are waiting for a key.
         */
        Builder watchingBusyClaims() {
            this.watchBusy = true;
            return this;
        }

        /** Runs against the context before the server starts (to add listeners, say). */
        Builder customize(Consumer<ServletContextHandler> customizer) {
            this.customizer = Objects.requireNonNull(customizer, "customizer");
            return this;
        }

        JettyApp start() throws Exception {
            StoreUnderTest store = StoreUnderTest.open();
            try {
                return start(store);
            } catch (Exception | Error e) {
                try {
                    store.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        }

        private JettyApp start(StoreUnderTest store) throws Exception {
            Map<String, Gate> gates = new ConcurrentHashMap<>();
            OrdersServlet orders = new OrdersServlet(name -> gates.computeIfAbsent(name, n -> new Gate()));
            FormServlet form = new FormServlet();

            Server server = new Server(port);
            ServletContextHandler context = new ServletContextHandler();
            context.setContextPath("/");

            FilterHolder authentication = new FilterHolder(new PrincipalFilter());
            authentication.setAsyncSupported(true);
            context.addFilter(authentication, "/*", EnumSet.of(DispatcherType.REQUEST));

            BusyWatch busyWatch = watchBusy ? new BusyWatch(store.store()) : null;
            IdempotencyStore filtered = busyWatch != null ? busyWatch : store.store();
            FilterHolder idempotency = filterClass != null ? new FilterHolder(filterClass)
                    : new FilterHolder(filterFactory != null ? filterFactory.apply(filtered) : defaultFilter(filtered));
            idempotency.setName("idempotency");
            idempotency.setAsyncSupported(true);
            idempotency.setInitParameters(initParameters);
            context.addFilter(idempotency, "/*", EnumSet.of(DispatcherType.REQUEST));

            ServletHolder ordersHolder = new ServletHolder("orders", orders);
            ordersHolder.setAsyncSupported(true);
            context.addServlet(ordersHolder, "/orders/*");
            context.addServlet(new ServletHolder("form", form), "/forms/*");
            context.addServlet(new ServletHolder("dispatch", new DispatchServlet()), "/dispatch/*");

            customizer.accept(context);
            server.setHandler(context);
            try {
                server.start();
            } catch (Exception | Error e) {
                server.stop();
                throw e;
            }
            return new JettyApp(server, context, store, orders, form, gates, busyWatch);
        }

        private IdempotencyFilter defaultFilter(IdempotencyStore store) {
            IdempotencyFilter.Builder filter = IdempotencyFilter.builder(store).config(config);
            if (scopeResolver != null) {
                filter.scopeResolver(scopeResolver);
            }
            return filter.build();
        }
    }
}
