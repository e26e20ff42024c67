package dev.idempotency.it.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The fault tests' HTTP client: JSON POSTs with a key and a client, and what counts as an answer. */
final class FaultClient {

    static final String CLIENT = "fault-client";

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private FaultClient() {
    }

    /** {@code {"item": item}}. */
    static String item(String item) {
        return "{\"item\":\"" + item + "\"}";
    }

    /** A POST of {@code json} with {@code key}, from {@link #CLIENT}, with extra header name/value pairs. */
    static HttpRequest post(URI uri, String key, String json, Duration timeout, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header(FaultApp.CLIENT_HEADER, CLIENT)
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return request.build();
    }

    static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build());
    }

    /**
     * Whether a client following the protocol stops retrying at this status: anything but 409 (in progress)
     * and 5xx (nothing was kept, try again).
     */
    static boolean isFinal(int status) {
        return status != 409 && status < 500;
    }

    static boolean isReplay(HttpResponse<?> response) {
        return "true".equals(response.headers().firstValue("Idempotent-Replayed").orElse(null));
    }
}
