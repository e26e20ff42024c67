package dev.idempotency.servlet;

import dev.idempotency.Idempotency;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.IdempotencyContext;
import dev.idempotency.IdempotencyProperties;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.servlet.internal.ServletIncomingRequest;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.store.ExpiredRecordPurger;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies the Idempotency-Key protocol to the requests it covers (POST and PATCH by default): the first
 * request with a key runs the handler and stores its outcome; a retry with the same key and request gets
 * the stored outcome with {@code Idempotent-Replayed: true}; refusals are RFC 9457 problem responses.
 *
 * <p>With a JDBC store, the claim of the key, the handler's own writes (through the store's
 * transaction-joining DataSource) and the stored outcome commit in one transaction, and the response is
 * held back until that commit succeeded. Paths configured for {@linkplain dev.idempotency.ExecutionMode#LEASE
 * lease mode} instead claim the key with a renewed lease, run the handler outside any transaction, and
 * store the outcome afterwards; the handler finds its {@link IdempotencyContext} in the request attribute
 * {@value #CONTEXT_ATTRIBUTE}.
 *
 * <p>Three ways to register it:
 * <ul>
 * <li>{@code web.xml}: declare the class; init parameters are properties such as
 * {@code idempotency.key-ttl}; the store is taken from the servlet context attribute
 * {@link #STORE_ATTRIBUTE}, which {@link IdempotencyStoreListener} sets from context parameters (or the
 * application's own {@code ServletContextListener}).</li>
 * <li>Programmatically: {@code servletContext.addFilter("idempotency", IdempotencyFilter.builder(store).build())}.</li>
 * <li>Spring Boot: a {@code FilterRegistrationBean} holding an instance built the same way.</li>
 * </ul>
 * Without an explicit {@link IdempotencyConfig}, settings come from {@value IdempotencyProperties#FILE} on
 * the classpath, then the filter's init parameters, then system properties. The scope resolver comes from
 * {@value #SCOPE_PROPERTY} ({@code principal}, the default, or {@code header:<Name>}, or a class name).
 *
 * <p>Register it after authentication (the default scope is the principal) and before anything that
 * writes the response. Only {@link DispatcherType#REQUEST} dispatches are processed.
 */
public final class IdempotencyFilter implements Filter {

    /** The servlet context attribute a no-argument filter takes its {@link IdempotencyStore} from. */
    public static final String STORE_ATTRIBUTE = "dev.idempotency.store";

    /** The property naming the {@link ScopeResolver}. */
    public static final String SCOPE_PROPERTY = "idempotency.scope";

    /**
     * The {@code idempotency.*} properties that are not the protocol's, which another part reads: the scope
     * here, the database in {@link IdempotencyStoreListener}. Its names are constants, compiled in, so that
     * the filter does not load the listener, which needs idempotency-jdbc.
     */
    private static final Set<String> READ_ELSEWHERE = Set.of(SCOPE_PROPERTY,
            IdempotencyStoreListener.JNDI_NAME_PROPERTY, IdempotencyStoreListener.URL_PROPERTY,
            IdempotencyStoreListener.USER_PROPERTY, IdempotencyStoreListener.PASSWORD_PROPERTY,
            IdempotencyStoreListener.DRIVER_CLASS_NAME_PROPERTY, IdempotencyStoreListener.MAXIMUM_POOL_SIZE_PROPERTY);

    /**
     * The request attribute holding the running request's {@link IdempotencyContext} (its key, mode,
     * fencing token and {@link IdempotencyContext#derivedKey derived keys} for downstream calls), set for
     * the handler of every request the protocol runs. {@link IdempotencyContext#current()} gives the same
     * on the handler's thread.
     */
    public static final String CONTEXT_ATTRIBUTE = "dev.idempotency.context";

    /** More distinct endpoint settings than this are refused: an EndpointSettings that makes a config per request. */
    private static final int MAX_ENDPOINT_ENGINES = 1024;

    private final IdempotencyStore explicitStore;
    private final IdempotencyConfig explicitConfig;
    private final ScopeResolver explicitScopeResolver;
    private final EndpointSettings endpointSettings;
    private final IdempotencyListener listener;
    private final Map<IdempotencyConfig, Idempotency> endpointEngines = new ConcurrentHashMap<>();

    private volatile Idempotency idempotency;
    private volatile ScopeResolver scopeResolver;
    private ExpiredRecordPurger purger;

    /**
     * For {@code web.xml}: the store comes from the servlet context attribute {@link #STORE_ATTRIBUTE}
     * and settings from properties, when the container calls {@link #init}.
     */
    public IdempotencyFilter() {
        this(null, null, null, EndpointSettings.defaults(), IdempotencyListener.none());
    }

    /** A filter over {@code store}, with settings from properties read in {@link #init}. */
    public IdempotencyFilter(IdempotencyStore store) {
        this(Objects.requireNonNull(store, "store"), null, null, EndpointSettings.defaults(),
                IdempotencyListener.none());
    }

    private IdempotencyFilter(IdempotencyStore store, IdempotencyConfig config, ScopeResolver scopeResolver,
            EndpointSettings endpointSettings, IdempotencyListener listener) {
        this.explicitStore = store;
        this.explicitConfig = config;
        this.explicitScopeResolver = scopeResolver;
        this.endpointSettings = endpointSettings;
        this.listener = listener;
    }

    /** A builder for a filter over {@code store}. */
    public static Builder builder(IdempotencyStore store) {
        return new Builder(Objects.requireNonNull(store, "store"));
    }

    /**
     * Resolves the store, the settings and the scope resolver, and sees to the purge of expired records: a
     * store that purges itself ({@code JdbcIdempotencyStore}) is handed the purge settings its builder was not
     * given (see {@link IdempotencyStore#adoptPurgeSettings}); for any other store (the in-memory one) the
     * filter runs the purge itself until {@link #destroy()}.
     *
     * @throws IdempotencyConfigException for invalid settings or a missing store, naming what is wrong
     */
    @Override
    public void init(FilterConfig filterConfig) throws ServletException {
        ServletContext context = filterConfig == null ? null : filterConfig.getServletContext();
        IdempotencyStore store = explicitStore != null ? explicitStore : storeFrom(context);
        IdempotencyConfig config = explicitConfig;
        ScopeResolver resolver = explicitScopeResolver;
        if (config == null) {
            Map<String, String> properties = IdempotencyProperties.load(classLoader(), initParameters(filterConfig));
            config = IdempotencyProperties.parse(properties, READ_ELSEWHERE);
            if (resolver == null && properties.containsKey(SCOPE_PROPERTY)) {
                resolver = ScopeResolver.fromSpec(SCOPE_PROPERTY, properties.get(SCOPE_PROPERTY));
            }
        }
        this.scopeResolver = resolver != null ? resolver : ScopeResolver.principal();
        this.idempotency = Idempotency.create(store, config, listener);
        synchronized (this) {
            if (purger == null && !store.adoptPurgeSettings(config)) {
                purger = ExpiredRecordPurger.create(store, config, listener).start();
            }
        }
    }

    private static IdempotencyStore storeFrom(ServletContext context) {
        Object attribute = context == null ? null : context.getAttribute(STORE_ATTRIBUTE);
        if (attribute == null) {
            throw IdempotencyConfigException.missing("servlet context attribute " + STORE_ATTRIBUTE,
                    "IdempotencyFilter was created without a store, so it looks for one in that attribute. Set it "
                            + "before the filter starts (from a ServletContextListener, for example "
                            + "context.setAttribute(IdempotencyFilter.STORE_ATTRIBUTE, JdbcIdempotencyStore.create(dataSource))), "
                            + "or construct the filter with IdempotencyFilter.builder(store).");
        }
        if (!(attribute instanceof IdempotencyStore store)) {
            throw IdempotencyConfigException.invalid("servlet context attribute " + STORE_ATTRIBUTE,
                    attribute.getClass().getName(), "an " + IdempotencyStore.class.getName());
        }
        return store;
    }

    private static Map<String, String> initParameters(FilterConfig filterConfig) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (filterConfig != null) {
            for (String name : Collections.list(filterConfig.getInitParameterNames())) {
                parameters.put(name, filterConfig.getInitParameter(name));
            }
        }
        return parameters;
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : IdempotencyFilter.class.getClassLoader();
    }

    /** The settings in effect; available after {@link #init}. */
    public IdempotencyConfig config() {
        return requireInitialised().config();
    }

    /**
     * Applies the protocol to an HTTP {@link DispatcherType#REQUEST} dispatch, through one
     * {@link CapturedExchange}: the body is read, the handler runs with its response held in memory, and the
     * outcome decided (the handler's response with its cookies, a replay, or a problem) is sent only after it
     * was stored. Other requests, and those the protocol does not cover, pass through unchanged.
     *
     * @throws IllegalStateException if the filter has not been initialised
     */
    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        Optional<CapturedExchange> covered = CapturedExchange.ofRequestDispatch(req, res);
        if (covered.isEmpty()) {
            chain.doFilter(req, res);
            return;
        }
        CapturedExchange exchange = covered.get();
        Idempotency protocol = engineFor(exchange.request());
        if (protocol == null) {
            chain.doFilter(req, res);
            return;
        }
        Outcome outcome;
        try {
            outcome = protocol.process(new ServletIncomingRequest(exchange, scopeResolver), body -> {
                exchange.request().setAttribute(CONTEXT_ATTRIBUTE, IdempotencyContext.current().orElse(null));
                return exchange.runHandler(chain, body, protocol.config().maxResponseBytes());
            });
        } catch (IOException | ServletException | RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new ServletException(e);
        }
        if (outcome instanceof Outcome.PassThrough) {
            chain.doFilter(req, res);
        } else if (outcome instanceof Outcome.Executed executed) {
            exchange.sendHandlerResponse(executed.response());
        } else if (outcome instanceof Outcome.Replayed replayed) {
            exchange.sendReplay(replayed.response());
        } else {
            exchange.sendProblem(((Outcome.Rejected) outcome).problem());
        }
    }

    /** The engine for the request's endpoint, or {@code null} when the protocol does not apply to it. */
    private Idempotency engineFor(HttpServletRequest request) {
        Idempotency defaults = requireInitialised();
        IdempotencyConfig config = endpointSettings.forRequest(request, defaults.config());
        if (config == null || config == defaults.config()) {
            return config == null ? null : defaults;
        }
        Idempotency engine = endpointEngines.get(config);
        if (engine != null) {
            return engine;
        }
        if (endpointEngines.size() >= MAX_ENDPOINT_ENGINES) {
            // Each engine may own a thread (lease renewals) until the filter is destroyed: a settings source
            // that makes a new config per request would leak them.
            throw new IllegalStateException("The EndpointSettings of this IdempotencyFilter returned more than "
                    + MAX_ENDPOINT_ENGINES + " distinct IdempotencyConfig instances; return one instance per endpoint");
        }
        return endpointEngines.computeIfAbsent(config, c -> Idempotency.create(defaults.store(), c, listener));
    }

    private Idempotency requireInitialised() {
        Idempotency protocol = idempotency;
        if (protocol == null) {
            throw new IllegalStateException("IdempotencyFilter has not been initialised; the servlet container "
                    + "calls init() before the first request");
        }
        return protocol;
    }

    /**
     * Stops the threads the filter started: the purge it runs for a store that does not purge itself, and the
     * engine's lease renewals. The store is left open, with its own purge if it has one: the application owns
     * it, and closes it.
     */
    @Override
    public void destroy() {
        synchronized (this) {
            if (purger != null) {
                purger.close();
                purger = null;
            }
        }
        Idempotency protocol = idempotency;
        if (protocol != null) {
            protocol.close();
        }
        endpointEngines.values().forEach(Idempotency::close);
        endpointEngines.clear();
    }

    /** Builds an {@link IdempotencyFilter}. */
    public static final class Builder {

        private final IdempotencyStore store;
        private IdempotencyConfig config;
        private ScopeResolver scopeResolver;
        private EndpointSettings endpointSettings = EndpointSettings.defaults();
        private IdempotencyListener listener = IdempotencyListener.none();

        private Builder(IdempotencyStore store) {
            this.store = store;
        }

        /**
         * The settings to use as they are. Without this, settings are read from properties when the filter
         * starts (see {@link IdempotencyFilter}).
         */
        public Builder config(IdempotencyConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Who a request's client is. Default: {@link ScopeResolver#principal()}, or {@value IdempotencyFilter#SCOPE_PROPERTY}. */
        public Builder scopeResolver(ScopeResolver scopeResolver) {
            this.scopeResolver = Objects.requireNonNull(scopeResolver, "scopeResolver");
            return this;
        }

        /**
         * Settings per endpoint (see {@link EndpointSettings}). Default: every request runs with the filter's
         * settings.
         */
        public Builder endpointSettings(EndpointSettings endpointSettings) {
            this.endpointSettings = Objects.requireNonNull(endpointSettings, "endpointSettings");
            return this;
        }

        /**
         * Where the filter reports each answer to a covered request, and each run of the purge it runs for a store
         * that does not purge itself (see {@link IdempotencyListener}); for metrics, the
         * {@code idempotency-micrometer} module's binding. Default: {@link IdempotencyListener#none()}.
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The filter. */
        public IdempotencyFilter build() {
            return new IdempotencyFilter(store, config, scopeResolver, endpointSettings, listener);
        }
    }
}
