package dev.idempotency.servlet;

import dev.idempotency.IdempotencyContext;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The application under the filter: "creates an order" on every call, counting its invocations, and is
 * steered by request headers.
 *
 * <ul>
 * <li>{@code X-Test-Status}: the status to answer (default 201).</li>
 * <li>{@code X-Test-Read}: {@code stream} (default) reads the body with getInputStream, {@code reader}
 * with getReader.</li>
 * <li>{@code X-Test-Sleep-Ms}: sleeps that long after counting the call.</li>
 * <li>{@code X-Test-Gate}: waits at the named {@link Gate} after counting the call.</li>
 * <li>{@code X-Test-Throw}: throws a RuntimeException after doing the work; with the value
 * {@code after-write}, only after writing (and flushing) the whole response.</li>
 * <li>{@code X-Test-Async}: continues the request with startAsync() and answers from another thread.</li>
 * <li>{@code X-Test-SendError}: {@code 404} or {@code 404 message}: calls sendError.</li>
 * <li>{@code X-Test-Redirect}: calls sendRedirect with that location.</li>
 * <li>{@code X-Test-Body-Bytes}: writes that many bytes instead of the JSON body.</li>
 * <li>{@code X-Test-Writer}: writes the JSON body with getWriter() instead of getOutputStream().</li>
 * <li>{@code X-Test-Chunks}: writes the JSON body in that many pieces with flushBuffer() after each;
 * with {@code X-Test-Gate-After-Flush} it waits at that gate after the first flush.</li>
 * <li>{@code X-Test-Echo-Mode}: answers with {@code X-Test-Mode} set to the mode the request ran in
 * ({@code TRANSACTION} or {@code LEASE}), from its {@link IdempotencyContext}.</li>
 * </ul>
 *
 * Unless steered otherwise it answers with Content-Type application/json, Location /orders/n, an ETag,
 * two Link headers, a cookie, {@code X-Custom: yes} and
 * {@code {"invocation":n,"method":...,"received":"<body>"}}.
 */
final class OrdersServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient AtomicInteger invocations = new AtomicInteger();
    private final transient Function<String, Gate> gates;

    OrdersServlet(Function<String, Gate> gates) {
        this.gates = gates;
    }

    /** How many times the handler ran. */
    int invocations() {
        return invocations.get();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int n = invocations.incrementAndGet();
        String received = readBody(request);

        String sleep = request.getHeader("X-Test-Sleep-Ms");
        if (sleep != null) {
            try {
                Thread.sleep(Long.parseLong(sleep));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String gate = request.getHeader("X-Test-Gate");
        if (gate != null) {
            gates.apply(gate).arriveAndAwait();
        }
        String throwing = request.getHeader("X-Test-Throw");
        if (throwing != null && !throwing.equals("after-write")) {
            throw new IllegalStateException("order " + n + " failed after doing its work");
        }
        if (request.getHeader("X-Test-Async") != null) {
            AsyncContext async = request.startAsync();
            async.start(() -> {
                try {
                    HttpServletResponse asyncResponse = (HttpServletResponse) async.getResponse();
                    writeOrder(request, asyncResponse, n, received);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } finally {
                    async.complete();
                }
            });
            return;
        }
        String sendError = request.getHeader("X-Test-SendError");
        if (sendError != null) {
            int space = sendError.indexOf(' ');
            if (space < 0) {
                response.sendError(Integer.parseInt(sendError));
            } else {
                response.sendError(Integer.parseInt(sendError.substring(0, space)), sendError.substring(space + 1));
            }
            return;
        }
        String redirect = request.getHeader("X-Test-Redirect");
        if (redirect != null) {
            response.sendRedirect(redirect);
            return;
        }
        writeOrder(request, response, n, received);
        if ("after-write".equals(throwing)) {
            throw new IllegalStateException("order " + n + " failed after writing its response");
        }
    }

    private void writeOrder(HttpServletRequest request, HttpServletResponse response, int n, String received)
            throws IOException {
        String status = request.getHeader("X-Test-Status");
        response.setStatus(status == null ? HttpServletResponse.SC_CREATED : Integer.parseInt(status));
        response.setContentType("application/json");
        response.setHeader("Location", "/orders/" + n);
        response.setHeader("ETag", "\"order-" + n + "\"");
        response.setHeader("X-Custom", "yes");
        if (request.getHeader("X-Test-Echo-Mode") != null
                && request.getAttribute(IdempotencyFilter.CONTEXT_ATTRIBUTE) instanceof IdempotencyContext context) {
            response.setHeader("X-Test-Mode", context.mode().name());
        }
        response.addHeader("Link", "</orders/" + n + "/items>; rel=\"items\"");
        response.addHeader("Link", "</customers/7>; rel=\"customer\"");
        Cookie cookie = new Cookie("session", "s" + n);
        cookie.setPath("/");
        response.addCookie(cookie);

        String bodyBytes = request.getHeader("X-Test-Body-Bytes");
        if (bodyBytes != null) {
            byte[] filler = new byte[Integer.parseInt(bodyBytes)];
            Arrays.fill(filler, (byte) 'x');
            response.getOutputStream().write(filler);
            return;
        }
        String json = "{\"invocation\":" + n + ",\"method\":\"" + request.getMethod() + "\",\"received\":"
                + jsonString(received) + "}";
        String chunks = request.getHeader("X-Test-Chunks");
        if (chunks != null) {
            writeInChunks(request, response, json, Integer.parseInt(chunks));
        } else if (request.getHeader("X-Test-Writer") != null) {
            PrintWriter writer = response.getWriter();
            writer.print(json);
        } else {
            response.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void writeInChunks(HttpServletRequest request, HttpServletResponse response, String json, int chunks)
            throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ServletOutputStream out = response.getOutputStream();
        int size = (bytes.length + chunks - 1) / chunks;
        String gate = request.getHeader("X-Test-Gate-After-Flush");
        for (int start = 0, i = 0; start < bytes.length; start += size, i++) {
            out.write(bytes, start, Math.min(size, bytes.length - start));
            response.flushBuffer();
            if (i == 0 && gate != null) {
                gates.apply(gate).arriveAndAwait();
            }
        }
    }

    private static String readBody(HttpServletRequest request) throws IOException {
        if ("reader".equals(request.getHeader("X-Test-Read"))) {
            StringWriter text = new StringWriter();
            try (Reader reader = request.getReader()) {
                reader.transferTo(text);
            }
            return text.toString();
        }
        return new String(request.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    static String jsonString(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
