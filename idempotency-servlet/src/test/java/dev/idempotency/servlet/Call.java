package dev.idempotency.servlet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One HTTP request through {@link java.net.http.HttpClient} (HTTP/1.1). Sends
 * {@code X-Api-Key: client-a} unless {@link #apiKey} or {@link #noApiKey} say otherwise.
 */
final class Call {

    private final JettyApp app;
    private final String method;
    private final String path;
    private final List<String[]> headers = new ArrayList<>();
    private String apiKey = JettyApp.DEFAULT_API_KEY;
    private BodyPublisher body = BodyPublishers.noBody();

    Call(JettyApp app, String method, String path) {
        this.app = app;
        this.method = method;
        this.path = path;
    }

    /** Sends {@code Idempotency-Key} with exactly this field value. */
    Call key(String fieldValue) {
        return header("Idempotency-Key", fieldValue);
    }

    Call header(String name, String value) {
        headers.add(new String[] {name, value});
        return this;
    }

    Call apiKey(String apiKey) {
        this.apiKey = apiKey;
        return this;
    }

    Call noApiKey() {
        this.apiKey = null;
        return this;
    }

    /** A JSON body with Content-Length. */
    Call json(String json) {
        return body("application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** A body with Content-Length. */
    Call body(String contentType, byte[] bytes) {
        header("Content-Type", contentType);
        this.body = BodyPublishers.ofByteArray(bytes);
        return this;
    }

    /** A body of unknown length, which HttpClient sends with {@code Transfer-Encoding: chunked}. */
    Call chunked(String contentType, byte[] bytes) {
        header("Content-Type", contentType);
        this.body = BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
        return this;
    }

    HttpRequest build() {
        HttpRequest.Builder request = HttpRequest.newBuilder(app.uri(path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body);
        if (apiKey != null) {
            request.header(JettyApp.API_KEY_HEADER, apiKey);
        }
        for (String[] h : headers) {
            request.header(h[0], h[1]);
        }
        return request.build();
    }

    Reply send() throws IOException, InterruptedException {
        return toReply(app.http().send(build(), BodyHandlers.ofByteArray()));
    }

    CompletableFuture<Reply> sendAsync() {
        return app.http().sendAsync(build(), BodyHandlers.ofByteArray()).thenApply(Call::toReply);
    }

    private static Reply toReply(HttpResponse<byte[]> response) {
        return new Reply(response.statusCode(), response.headers().map(), response.body());
    }
}
