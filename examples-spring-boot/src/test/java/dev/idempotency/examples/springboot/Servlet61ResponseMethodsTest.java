package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Profile;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Tomcat 11 implements Servlet 6.1, whose response wrapper gained methods the library is compiled without
 * ({@code sendRedirect(String, int, boolean)}, {@code setCharacterEncoding(Charset)}, and the
 * {@code ByteBuffer} reads and writes of the streams). A handler calling them inside an idempotent request
 * must still be captured, stored and replayed, never sent straight to the client. The example as it ships (the
 * starter's filter, on Spring Boot's in-memory H2), with these handlers added in a profile of this test's own.
 */
class Servlet61ResponseMethodsTest {

    static final String PROFILE = "servlet-6-1-handlers";

    private static RunningApplication app;

    /** Handlers that use the Servlet 6.1 methods directly; active only in this test's profile. */
    @RestController
    @Profile(PROFILE)
    static class Servlet61Handlers {

        @PostMapping("/servlet-6.1/redirect")
        public void redirect(HttpServletResponse response) throws IOException {
            response.sendRedirect("/orders", HttpServletResponse.SC_SEE_OTHER, true);
        }

        @PostMapping("/servlet-6.1/redirect-with-status")
        public void redirectWithStatus(HttpServletResponse response) throws IOException {
            response.sendRedirect("/orders", HttpServletResponse.SC_TEMPORARY_REDIRECT);
        }

        @PostMapping("/servlet-6.1/charset")
        public void charset(HttpServletResponse response) throws IOException {
            response.setContentType("text/plain");
            response.setCharacterEncoding(StandardCharsets.UTF_16BE);
            response.getWriter().write("h\u00e9llo");
        }

        @PostMapping("/servlet-6.1/byte-buffer-echo")
        public void byteBufferEcho(HttpServletRequest request, HttpServletResponse response) throws IOException {
            // One read takes the whole (short) body. Servlet 6.1 leaves the buffer ready to be written out:
            // its position where it was, its limit after the bytes read.
            ByteBuffer body = ByteBuffer.allocate(1024);
            if (request.getInputStream().read(body) < 0) {
                body.limit(0);
            }
            response.setContentType("application/octet-stream");
            response.getOutputStream().write(body);
        }
    }

    @BeforeAll
    static void start() {
        app = RunningApplication.start(Map.of(), PROFILE);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static HttpResponse<String> postTwice(String path, String contentType, String body,
            HttpResponse<?>[] first) throws Exception {
        String key = UUID.randomUUID().toString();
        first[0] = app.send("POST", path, contentType, body, "Idempotency-Key", key, "X-Api-Key", "client-61");
        HttpResponse<String> retry = app.send("POST", path, contentType, body, "Idempotency-Key", key,
                "X-Api-Key", "client-61");
        assertEquals(Optional.of("true"), retry.headers().firstValue("Idempotent-Replayed"));
        return retry;
    }

    @Test
    void capturesSendRedirectWithStatusAndClearBuffer() throws Exception {
        HttpResponse<?>[] first = new HttpResponse<?>[1];
        HttpResponse<String> replay = postTwice("/servlet-6.1/redirect", "application/json", "{}", first);
        assertEquals(303, first[0].statusCode());
        assertEquals(Optional.of("/orders"), first[0].headers().firstValue("Location"));
        assertEquals(Optional.empty(), first[0].headers().firstValue("Idempotent-Replayed"));
        assertEquals(303, replay.statusCode());
        assertEquals(Optional.of("/orders"), replay.headers().firstValue("Location"));
    }

    @Test
    void capturesSendRedirectWithStatus() throws Exception {
        HttpResponse<?>[] first = new HttpResponse<?>[1];
        HttpResponse<String> replay = postTwice("/servlet-6.1/redirect-with-status", "application/json", "{}", first);
        assertEquals(307, first[0].statusCode());
        assertEquals(307, replay.statusCode());
        assertEquals(Optional.of("/orders"), replay.headers().firstValue("Location"));
    }

    @Test
    void capturesSetCharacterEncodingWithACharset() throws Exception {
        HttpResponse<?>[] first = new HttpResponse<?>[1];
        HttpResponse<String> replay = postTwice("/servlet-6.1/charset", "application/json", "{}", first);
        assertEquals(200, first[0].statusCode());
        assertEquals(Optional.of("text/plain;charset=UTF-16BE"), first[0].headers().firstValue("Content-Type"));
        assertEquals("h\u00e9llo", first[0].body());
        assertEquals(first[0].headers().firstValue("Content-Type"), replay.headers().firstValue("Content-Type"));
        assertEquals("h\u00e9llo", replay.body());
    }

    @Test
    void capturesByteBufferReadsAndWrites() throws Exception {
        HttpResponse<?>[] first = new HttpResponse<?>[1];
        HttpResponse<String> replay = postTwice("/servlet-6.1/byte-buffer-echo", "application/octet-stream",
                "exactly these bytes", first);
        assertEquals(200, first[0].statusCode());
        assertEquals("exactly these bytes", first[0].body());
        assertEquals("exactly these bytes", replay.body());
    }
}
