package dev.idempotency.it.lease;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyContext;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.servlet.IdempotencyFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * {@code POST /payments} in lease mode: the handler charges a downstream provider with a key derived from
 * the request's idempotency key, outside any database transaction. {@code X-Test-Hold: true} holds it
 * after the charge, once it has counted down {@link #holding}, until the test counts down {@link #release}.
 * The client's scope is the {@code X-Client} header as it is, so tests can claim the same record the filter
 * would.
 */
final class PaymentsApp implements AutoCloseable {

    private final Server server;
    final JdbcIdempotencyStore store;
    final FakePaymentProvider provider = new FakePaymentProvider();
    final AtomicInteger handlerRuns = new AtomicInteger();
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    PaymentsApp(DataSource pool, IdempotencyConfig config) throws Exception {
        store = JdbcIdempotencyStore.create(pool);
        server = new Server(0);
        ServletContextHandler context = new ServletContextHandler();
        IdempotencyFilter filter = IdempotencyFilter.builder(store).config(config)
                .scopeResolver(request -> Optional.ofNullable(request.getHeader("X-Client")).map(c -> "client:" + c))
                .build();
        context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new PaymentsServlet()), "/payments");
        server.setHandler(context);
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + path);
    }

    @Override
    public void close() throws Exception {
        server.stop();
        store.close();
    }

    private final class PaymentsServlet extends HttpServlet {

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            handlerRuns.incrementAndGet();
            long amount = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8).length();
            // tag::lease-handler[]
            IdempotencyContext context = (IdempotencyContext) request.getAttribute(IdempotencyFilter.CONTEXT_ATTRIBUTE);
            // The same key for every retry of this request: the provider charges once, however often we call.
            String charge = provider.charge(context.derivedKey("charge"), amount);
            // end::lease-handler[]
            if ("true".equals(request.getHeader("X-Test-Hold"))) {
                holding.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            response.setStatus(201);
            response.setContentType("application/json");
            response.getWriter().write("{\"charge\":\"" + charge + "\",\"mode\":\"" + context.mode()
                    + "\",\"token\":" + context.fencingToken() + "}");
        }
    }
}
