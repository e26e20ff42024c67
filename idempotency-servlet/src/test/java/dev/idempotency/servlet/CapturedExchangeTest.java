package dev.idempotency.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyHeaders;
import dev.idempotency.StoredResponse;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CapturedExchange} on its own, behind a filter of a test's making on a real Jetty: the handler's
 * response stays in memory until the filter sends what it decided (the handler's response with its cookies,
 * a replay, or a problem), and the body is read up to a limit.
 */
class CapturedExchangeTest {

    private static final int BODY_LIMIT = 16;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final AtomicInteger HANDLER_RUNS = new AtomicInteger();
    private static Server server;

    @BeforeAll
    static void start() throws Exception {
        server = new Server(0);
        ServletContextHandler context = new ServletContextHandler();
        context.addFilter(new FilterHolder(new DecidingFilter()), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new EchoServlet()), "/*");
        server.setHandler(context);
        server.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    @BeforeEach
    void resetCount() {
        HANDLER_RUNS.set(0);
    }

    @Test
    void theHandlersResponseIsSentWithItsHeadersCookiesAndBodyAfterTheDecision() throws Exception {
        HttpResponse<String> response = send("handler", "hello");

        assertEquals(201, response.statusCode());
        assertEquals("echo:hello", response.body());
        assertEquals("yes", response.headers().firstValue("X-Handled").orElse(null));
        assertEquals("text/plain;charset=utf-8", response.headers().firstValue("Content-Type").orElse("")
                .toLowerCase(Locale.ROOT));
        assertEquals("10", response.headers().firstValue("Content-Length").orElse(null));
        assertTrue(response.headers().firstValue("Set-Cookie").orElse("").startsWith("run=1"),
                response.headers().map()::toString);
    }

    @Test
    void whatTheHandlerWroteAndFlushedNeverReachesTheClientWhenAProblemIsSentInstead() throws Exception {
        HttpResponse<String> response = send("problem", "hello");

        assertEquals(1, HANDLER_RUNS.get());
        assertEquals(409, response.statusCode());
        assertEquals(Problem.MEDIA_TYPE, response.headers().firstValue("Content-Type").orElse(null));
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(null));
        assertEquals("3", response.headers().firstValue("Retry-After").orElse(null));
        assertEquals(new String(decided().toJson("/orders"), StandardCharsets.UTF_8), response.body());
        assertFalse(response.headers().firstValue("X-Handled").isPresent(), "the handler's header was held back");
        assertFalse(response.headers().firstValue("Set-Cookie").isPresent(), "the handler's cookie was held back");
    }

    @Test
    void aReplayIsMarkedAndTheHandlerDoesNotRun() throws Exception {
        HttpResponse<String> response = send("replay", "hello");

        assertEquals(0, HANDLER_RUNS.get());
        assertEquals(200, response.statusCode());
        assertEquals("stored", response.body());
        assertEquals("true", response.headers().firstValue(IdempotencyHeaders.REPLAYED).orElse(null));
        assertEquals("text/plain", response.headers().firstValue("Content-Type").orElse(null));
    }

    @Test
    void aHandlerThatRanTwiceIsAnsweredWithTheCookiesOfTheLatestRun() throws Exception {
        HttpResponse<String> response = send("twice", "hello");

        assertEquals(2, HANDLER_RUNS.get());
        assertEquals(List.of("run=2"), response.headers().allValues("Set-Cookie").stream()
                .map(cookie -> cookie.split(";")[0]).toList());
    }

    @Test
    void aDeclaredBodyOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
        HttpResponse<String> response = send("handler", "x".repeat(BODY_LIMIT + 1));

        assertEquals(413, response.statusCode());
        assertEquals("limit=16 declared=17", response.body());
        assertEquals(0, HANDLER_RUNS.get());
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedWithoutADeclaredLength() throws Exception {
        byte[] body = "y".repeat(BODY_LIMIT + 1).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri()).header("X-Decision", "handler")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(413, response.statusCode());
        assertEquals("limit=16 declared=-1", response.body());
    }

    @Test
    void aBodyOfExactlyTheLimitIsRead() throws Exception {
        HttpResponse<String> response = send("handler", "z".repeat(BODY_LIMIT));

        assertEquals(201, response.statusCode());
        assertEquals("echo:" + "z".repeat(BODY_LIMIT), response.body());
    }

    @Test
    void onlyAnHttpRequestDispatchIsAnExchange() {
        assertTrue(CapturedExchange.ofRequestDispatch(request(DispatcherType.REQUEST), response()).isPresent());
        for (DispatcherType other : EnumSet.complementOf(EnumSet.of(DispatcherType.REQUEST))) {
            assertEquals(Optional.empty(), CapturedExchange.ofRequestDispatch(request(other), response()),
                    other.toString());
        }
        ServletRequest notHttp = (ServletRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServletRequest.class}, (proxy, method, args) -> null);
        assertEquals(Optional.empty(), CapturedExchange.ofRequestDispatch(notHttp, response()));
    }

    @Test
    void aResponseTheHandlerHasNotProducedOrWhoseBodyWasLostCannotBeSent() {
        CapturedExchange exchange = CapturedExchange.of(request(DispatcherType.REQUEST), response());
        HandlerResponse complete = HandlerResponse.of(200, List.of(), new byte[0]);
        HandlerResponse truncated = HandlerResponse.truncated(200, List.of());

        IllegalStateException notRun = assertThrows(IllegalStateException.class,
                () -> exchange.sendHandlerResponse(complete));
        assertTrue(notRun.getMessage().contains("runHandler"), notRun.getMessage());
        IllegalArgumentException lost = assertThrows(IllegalArgumentException.class,
                () -> exchange.sendHandlerResponse(truncated));
        assertTrue(lost.getMessage().contains("send a problem"), lost.getMessage());
    }

    @Test
    void negativeLimitsAreRefused() {
        CapturedExchange exchange = CapturedExchange.of(request(DispatcherType.REQUEST), response());
        assertThrows(IllegalArgumentException.class, () -> exchange.readBody(-1));
        assertThrows(IllegalArgumentException.class, () -> exchange.runHandler((req, res) -> { }, new byte[0], -1));
    }

    private static Problem decided() {
        return Problem.of(409, "test-decision", "Decided otherwise", "The filter decided not to send the handler's "
                + "answer.", Duration.ofSeconds(3));
    }

    private static HttpResponse<String> send(String decision, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri()).header("X-Decision", decision)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri() {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort()
                + "/orders");
    }

    private static HttpServletRequest request(DispatcherType dispatch) {
        return (HttpServletRequest) Proxy.newProxyInstance(CapturedExchangeTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (proxy, method, args) -> method.getName().equals("getDispatcherType") ? dispatch : null);
    }

    private static HttpServletResponse response() {
        return (HttpServletResponse) Proxy.newProxyInstance(CapturedExchangeTest.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> null);
    }

    /**
     * Decides by the {@code X-Decision} header what the client gets, always through the exchange. Mapped to
     * REQUEST dispatches of HTTP requests only, so it takes every request it sees.
     */
    private static final class DecidingFilter implements Filter {

        @Override
        public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
                throws IOException, ServletException {
            CapturedExchange exchange = CapturedExchange.of((HttpServletRequest) req, (HttpServletResponse) res);
            String decision = exchange.request().getHeader("X-Decision");
            byte[] body;
            try {
                body = exchange.readBody(BODY_LIMIT);
            } catch (RequestBodyTooLargeException e) {
                exchange.response().setStatus(413);
                exchange.response().getWriter().write("limit=" + e.limit() + " declared=" + e.declaredLength());
                return;
            }
            switch (decision) {
                case "replay" -> exchange.sendReplay(StoredResponse.of(200,
                        List.of(new Header("Content-Type", "text/plain")), "stored".getBytes(StandardCharsets.UTF_8)));
                case "problem" -> {
                    exchange.runHandler(chain, body, 1024);
                    exchange.sendProblem(decided());
                }
                case "twice" -> {
                    exchange.runHandler(chain, body, 1024);
                    exchange.sendHandlerResponse(exchange.runHandler(chain, body, 1024));
                }
                default -> exchange.sendHandlerResponse(exchange.runHandler(chain, body, 1024));
            }
        }
    }

    /** Echoes the body it was served, sets a header and a cookie numbered by its run, and flushes early. */
    private static final class EchoServlet extends HttpServlet {

        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            int run = HANDLER_RUNS.incrementAndGet();
            String body = new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            response.setStatus(201);
            response.setHeader("X-Handled", "yes");
            response.addCookie(new Cookie("run", Integer.toString(run)));
            response.setContentType("text/plain;charset=UTF-8");
            response.getWriter().write("echo:" + body);
            response.flushBuffer();
        }
    }
}
