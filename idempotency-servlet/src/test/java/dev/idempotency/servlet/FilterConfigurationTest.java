package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static dev.idempotency.servlet.ReplyAssertions.assertProblem;
import static dev.idempotency.servlet.ReplyAssertions.assertReplayOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.store.InMemoryIdempotencyStore;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the filter is configured: an explicit store or the {@value IdempotencyFilter#STORE_ATTRIBUTE}
 * context attribute, settings from init parameters overridden by system properties, and start-up
 * failures that name what is wrong. Jetty 12 reports a filter whose {@code init} throws by failing
 * {@code Server.start()} with that exception, so a broken configuration never serves a request.
 */
class FilterConfigurationTest {

    @Test
    void filterWithoutStoreOrContextAttributeFailsToStartNamingTheAttribute() throws Exception {
        int port = freePort();
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JettyApp.builder().port(port).filter(store -> new IdempotencyFilter()).start());

        assertTrue(e.getMessage().contains(IdempotencyFilter.STORE_ATTRIBUTE), e::getMessage);
        assertTrue(e.getMessage().contains("dev.idempotency.store"), e::getMessage);
        assertTrue(e.getMessage().contains("IdempotencyFilter.builder"), e::getMessage);
        assertRefusesConnections(port);
    }

    @Test
    void initWithoutStoreThrowsNamingTheAttribute() throws Exception {
        try (JettyApp app = JettyApp.builder().start()) {
            IdempotencyFilter filter = new IdempotencyFilter();
            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                    () -> filter.init(new TestFilterConfig(app.context().getServletContext(), Map.of())));

            assertEquals("servlet context attribute dev.idempotency.store", e.setting());
            assertTrue(e.getMessage().startsWith("Missing servlet context attribute dev.idempotency.store"),
                    e::getMessage);
        }
    }

    @Test
    void initWithoutAnyFilterConfigThrowsNamingTheAttribute() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> new IdempotencyFilter().init(null));

        assertTrue(e.getMessage().contains("dev.idempotency.store"), e::getMessage);
    }

    @Test
    void contextAttributeThatIsNotAStoreIsRefusedNamingItsType() throws Exception {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JettyApp.builder()
                .filterClass(IdempotencyFilter.class)
                .customize(context -> context.addEventListener(storeListener("not a store")))
                .start());

        assertTrue(e.getMessage().contains("dev.idempotency.store"), e::getMessage);
        assertTrue(e.getMessage().contains("java.lang.String"), e::getMessage);
    }

    @Test
    void filterRegisteredByClassTakesItsStoreFromTheContextAttribute() throws Exception {
        InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create();
        try (JettyApp app = JettyApp.builder()
                .filterClass(IdempotencyFilter.class)
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:X-Api-Key")
                .customize(context -> context.addEventListener(storeListener(store)))
                .start()) {
            Reply first = app.post("/orders").key("k-1").json("{}").send();
            Reply retry = app.post("/orders").key("k-1").json("{}").send();

            assertExecuted(first, 201);
            assertReplayOf(first, retry);
            assertEquals(1, app.orderInvocations());
            assertEquals(1, store.size(), "the outcome is in the store the listener provided");
            assertEquals(0, app.recordCount());
        }
    }

    @Test
    void invalidInitParameterFailsStartUpNamingThePropertyAndValue() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter("idempotency.key-ttl", "banana")
                .start());

        assertEquals("idempotency.key-ttl", e.setting());
        assertTrue(e.getMessage().contains("idempotency.key-ttl"), e::getMessage);
        assertTrue(e.getMessage().contains("'banana'"), e::getMessage);
    }

    @Test
    void misspelledInitParameterFailsStartUpNamingIt() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter("idempotency.key-tll", "12h")
                .start());

        assertTrue(e.getMessage().contains("idempotency.key-tll"), e::getMessage);
        assertTrue(e.getMessage().contains("idempotency.key-ttl"), "the known properties are listed: " + e.getMessage());
        assertTrue(e.getMessage().contains(IdempotencyFilter.SCOPE_PROPERTY), e::getMessage);
    }

    @Test
    void invalidScopeInitParameterFailsStartUpNamingIt() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:")
                .start());

        assertEquals(IdempotencyFilter.SCOPE_PROPERTY, e.setting());
        assertTrue(e.getMessage().contains("'header:'"), e::getMessage);
    }

    @Test
    void initParametersConfigureTheFilter() throws Exception {
        IdempotencyFilter[] filter = new IdempotencyFilter[1];
        try (JettyApp app = JettyApp.builder()
                .filter(store -> filter[0] = new IdempotencyFilter(store))
                .initParameter("idempotency.key-ttl", "12h")
                .initParameter("idempotency.methods", "POST,PUT")
                .initParameter("idempotency.max-request-bytes", "1KB")
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:X-Api-Key")
                .start()) {
            IdempotencyConfig config = filter[0].config();
            assertEquals(Duration.ofHours(12), config.keyTtl());
            assertEquals(1024, config.maxRequestBytes());

            Reply put = app.request("PUT", "/orders").key("k-1").json("{}").send();
            Reply putRetry = app.request("PUT", "/orders").key("k-1").json("{}").send();
            assertReplayOf(put, putRetry);
            Reply patch = app.request("PATCH", "/orders").json("{}").send();
            assertExecuted(patch, 201);
            assertProblem(app.post("/orders").key("k-2").body("text/plain", new byte[1025]).send(), 413,
                    "body-too-large");
        }
    }

    @Test
    void scopeInitParameterScopesKeysByThatHeader() throws Exception {
        try (JettyApp app = JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:X-Api-Key")
                .start()) {
            Reply anonymous = app.post("/orders").noApiKey().key("k-1").json("{}").send();
            Reply clientA = app.post("/orders").apiKey("client-a").key("k-1").json("{}").send();
            Reply clientB = app.post("/orders").apiKey("client-b").key("k-1").json("{}").send();
            Reply retryA = app.post("/orders").apiKey("client-a").key("k-1").json("{}").send();

            assertProblem(anonymous, 400, "scope-unresolved");
            assertTrue(anonymous.jsonString("detail").contains("X-Api-Key"), anonymous::toString);
            assertExecuted(clientA, 201);
            assertExecuted(clientB, 201);
            assertReplayOf(clientA, retryA);
            assertEquals(2, app.orderInvocations());
        }
    }

    @Test
    void scopeInitParameterCanNameAResolverClass() throws Exception {
        try (JettyApp app = JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, TenantScopeResolver.class.getName())
                .start()) {
            Reply noTenant = app.post("/orders").key("k-1").json("{}").send();
            Reply acme = app.post("/orders").header("X-Tenant", "acme").key("k-1").json("{}").send();
            Reply acmeRetry = app.post("/orders").header("X-Tenant", "acme").key("k-1").json("{}").send();

            assertProblem(noTenant, 400, "scope-unresolved");
            assertTrue(noTenant.jsonString("detail").contains("X-Tenant"), noTenant::toString);
            assertReplayOf(acme, acmeRetry);
        }
    }

    @Test
    void withoutScopeSettingTheFilterScopesByPrincipal() throws Exception {
        try (JettyApp app = JettyApp.builder().filter(IdempotencyFilter::new).start()) {
            assertProblem(app.post("/orders").key("k-1").json("{}").send(), 400, "scope-unresolved");
            assertExecuted(app.post("/orders").header("X-Test-User", "alice").key("k-1").json("{}").send(), 201);
        }
    }

    @Test
    void systemPropertyOverridesInitParameter() throws Exception {
        System.setProperty("idempotency.max-request-bytes", "1024");
        try (JettyApp app = JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter("idempotency.max-request-bytes", "1MB")
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:X-Api-Key")
                .start()) {
            Reply reply = app.post("/orders").key("k-1").body("text/plain", new byte[2000]).send();

            assertProblem(reply, 413, "body-too-large");
            assertTrue(reply.jsonString("detail").contains("1024"), reply::toString);
        } finally {
            System.clearProperty("idempotency.max-request-bytes");
        }
        try (JettyApp app = JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter("idempotency.max-request-bytes", "1MB")
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:X-Api-Key")
                .start()) {
            assertExecuted(app.post("/orders").key("k-1").body("text/plain", new byte[2000]).send(), 201);
        }
    }

    /**
     * The properties file is looked up through the context's class loader (the web application's), and
     * init parameters win over it.
     */
    @Test
    void propertiesFileOnTheApplicationClassPathIsReadBelowInitParameters(@TempDir Path classes) throws Exception {
        Files.writeString(classes.resolve("idempotency.properties"), String.join("\n",
                "idempotency.key-ttl=6h",
                "idempotency.max-request-bytes=2KB",
                "idempotency.scope=header:X-Api-Key",
                "unrelated.setting=ignored"));
        IdempotencyFilter[] filter = new IdempotencyFilter[1];
        try (URLClassLoader webApp = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                FilterConfigurationTest.class.getClassLoader());
                JettyApp app = JettyApp.builder()
                        .filter(store -> filter[0] = new IdempotencyFilter(store))
                        .initParameter("idempotency.max-request-bytes", "1KB")
                        .customize(context -> context.setClassLoader(webApp))
                        .start()) {
            assertEquals(Duration.ofHours(6), filter[0].config().keyTtl(), "from the file");
            assertEquals(1024, filter[0].config().maxRequestBytes(), "the init parameter wins over the file");
            assertProblem(app.post("/orders").noApiKey().key("k-1").json("{}").send(), 400, "scope-unresolved");
            assertExecuted(app.post("/orders").key("k-1").json("{}").send(), 201);
        }
    }

    @Test
    void invalidSystemPropertyFailsStartUpEvenWithValidInitParameter() {
        System.setProperty("idempotency.concurrent", "sometimes");
        try {
            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JettyApp.builder()
                    .filter(IdempotencyFilter::new)
                    .initParameter("idempotency.concurrent", "wait")
                    .start());

            assertTrue(e.getMessage().contains("idempotency.concurrent"), e::getMessage);
            assertTrue(e.getMessage().contains("'sometimes'"), e::getMessage);
        } finally {
            System.clearProperty("idempotency.concurrent");
        }
    }

    @Test
    void storeListenerSettingsAsSystemPropertiesAreNotRefusedAsTypos() throws Exception {
        for (String name : IdempotencyStoreListener.PROPERTY_NAMES) {
            System.setProperty(name, "read by the listener");
        }
        try (JettyApp app = JettyApp.builder()
                .filter(IdempotencyFilter::new)
                .initParameter(IdempotencyFilter.SCOPE_PROPERTY, "header:X-Api-Key")
                .start()) {
            assertExecuted(app.post("/orders").key("k-1").json("{}").send(), 201);
        } finally {
            IdempotencyStoreListener.PROPERTY_NAMES.forEach(System::clearProperty);
        }
    }

    @Test
    void misspeltStoreListenerSettingIsRefused() {
        System.setProperty("idempotency.jdbc.urll", "jdbc:h2:mem:x");
        try {
            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JettyApp.builder()
                    .filter(IdempotencyFilter::new)
                    .start());

            assertTrue(e.getMessage().contains("idempotency.jdbc.urll"), e::getMessage);
            assertTrue(e.getMessage().contains(IdempotencyStoreListener.URL_PROPERTY), e::getMessage);
        } finally {
            System.clearProperty("idempotency.jdbc.urll");
        }
    }

    @Test
    void explicitConfigIsUsedAsIsWithoutReadingProperties() throws Exception {
        IdempotencyConfig config = IdempotencyConfig.custom().keyTtl(Duration.ofHours(2)).build();
        IdempotencyFilter filter = IdempotencyFilter.builder(InMemoryIdempotencyStore.create()).config(config)
                .scopeResolver(ScopeResolver.header("X-Api-Key")).build();
        try (JettyApp app = JettyApp.builder()
                .filter(store -> filter)
                .initParameter("idempotency.key-ttl", "banana")
                .start()) {
            assertSame(config, filter.config());
            assertExecuted(app.post("/orders").key("k-1").json("{}").send(), 201);
        }
    }

    @Test
    void configIsUnavailableBeforeInit() {
        IdempotencyFilter filter = new IdempotencyFilter(InMemoryIdempotencyStore.create());

        IllegalStateException e = assertThrows(IllegalStateException.class, filter::config);
        assertTrue(e.getMessage().contains("init"), e::getMessage);
    }

    @Test
    void stoppingTheServerStopsTheBackgroundPurge() throws Exception {
        long before = purgeThreads();
        JettyApp app = JettyApp.builder().start();
        assertEquals(before + 1, purgeThreads(), "the filter starts one purge thread");

        app.close();

        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (purgeThreads() > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(before, purgeThreads(), "destroy() stops the purge thread");
    }

    @Test
    void purgeIntervalZeroStartsNoPurgeThread() throws Exception {
        long before = purgeThreads();
        try (JettyApp app = JettyApp.builder()
                .config(IdempotencyConfig.custom().purgeInterval(Duration.ZERO).build())
                .start()) {
            assertEquals(before, purgeThreads());
            assertExecuted(app.post("/orders").key("k-1").json("{}").send(), 201);
        }
    }

    @Test
    void builderRefusesNullArguments() {
        assertNullRefused(() -> IdempotencyFilter.builder(null), "store");
        assertNullRefused(() -> new IdempotencyFilter(null), "store");
        assertNullRefused(() -> IdempotencyFilter.builder(InMemoryIdempotencyStore.create()).config(null), "config");
        assertNullRefused(() -> IdempotencyFilter.builder(InMemoryIdempotencyStore.create()).scopeResolver(null),
                "scopeResolver");
    }

    private static void assertNullRefused(Executable call, String name) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(name, e.getMessage());
    }

    private static ServletContextListener storeListener(Object store) {
        return new ServletContextListener() {
            @Override
            public void contextInitialized(ServletContextEvent event) {
                event.getServletContext().setAttribute(IdempotencyFilter.STORE_ATTRIBUTE, store);
            }
        };
    }

    private static long purgeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("idempotency-purge") && t.isAlive()).count();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void assertRefusesConnections(int port) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/orders")).build();
        assertThrows(ConnectException.class,
                () -> HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()),
                "nothing serves requests after a failed start");
    }

    /** A FilterConfig as a container passes it to {@code init}. */
    private record TestFilterConfig(ServletContext servletContext, Map<String, String> parameters)
            implements FilterConfig {

        @Override
        public String getFilterName() {
            return "idempotency";
        }

        @Override
        public ServletContext getServletContext() {
            return servletContext;
        }

        @Override
        public String getInitParameter(String name) {
            return parameters.get(name);
        }

        @Override
        public Enumeration<String> getInitParameterNames() {
            return Collections.enumeration(parameters.keySet());
        }
    }
}
