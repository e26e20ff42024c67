package dev.idempotency.webhooks;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.webhooks.internal.BoundedBody;
import dev.idempotency.webhooks.internal.RetryAfter;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Delivers outbox messages as signed Standard Webhooks: each attempt POSTs the message's payload to its
 * {@link OutboxMessage#destination() destination} (an absolute {@code http} or {@code https} URL) with the
 * message's headers and the three signature headers, where {@value WebhookHeaders#ID} is the message's
 * {@link OutboxMessage#id() id} (the same on every attempt, for the receiver to deduplicate on) and
 * {@value WebhookHeaders#TIMESTAMP} is the attempt's own time, signed anew each time.
 *
 * <p>How the answer maps to a {@link PublishResult}:
 * <table>
 * <caption>Answer to result</caption>
 * <tr><th>Answer</th><th>Result</th></tr>
 * <tr><td>2xx</td><td>delivered</td></tr>
 * <tr><td>408, 409, 425, 429, every 5xx, any status outside 200-599</td><td>retry, after the
 * {@code Retry-After} delay (seconds or HTTP-date) when the answer has one</td></tr>
 * <tr><td>no answer: timeout, refused or reset connection, TLS failure</td><td>retry</td></tr>
 * <tr><td>3xx (redirects are not followed), 410 and every other 4xx</td><td>rejected: sending the same
 * request again cannot succeed</td></tr>
 * <tr><td>a destination that is not an absolute http(s) URL, a header HTTP cannot carry, an id that cannot be
 * signed</td><td>rejected, without a request</td></tr>
 * </table>
 * 408 (Request Timeout), 425 (Too Early) and 429 (Too Many Requests) say "later" by definition. 409 (Conflict)
 * is what an idempotent receiver, such as this library's {@code IdempotencyFilter}, answers while an earlier
 * delivery with the same id is still being processed; the retry then gets the settled answer. Every result's
 * error names the status, the destination without its query or user info, and the start of the answer's body.
 *
 * <p>The whole exchange, up to the answer's last byte, is bounded by the {@linkplain Builder#timeout timeout}
 * ({@value #DEFAULT_TIMEOUT_SECONDS} seconds by default, as the specification recommends 15 to 30). Only the
 * first {@value #MAX_RESPONSE_BYTES} bytes of an answer are read. Instances are safe for concurrent use.
 */
public final class WebhookPublisher implements OutboxPublisher {

    /** The default bound on one delivery attempt, in seconds. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 15;

    /** The default bound on one delivery attempt, from connecting to the answer's last byte. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);

    /** The default bound on establishing a connection (within the timeout). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** The content type sent when the message's headers name none. */
    public static final String DEFAULT_CONTENT_TYPE = "application/json";

    /** How many bytes of an answer's body are read (the rest is not). */
    public static final int MAX_RESPONSE_BYTES = 8192;

    private static final int ERROR_EXCERPT_CHARS = 200;
    /** Headers java.net.http sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED_HEADERS = Set.of("connection", "content-length", "expect", "host",
            "upgrade");

    private final WebhookSigner signer;
    private final HttpClient client;
    private final Duration timeout;
    private final Clock clock;

    private WebhookPublisher(WebhookSigner signer, HttpClient client, Duration timeout, Clock clock) {
        this.signer = signer;
        this.client = client;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** A publisher signing with {@code signer}, with the default timeouts. */
    public static WebhookPublisher create(WebhookSigner signer) {
        return builder(signer).build();
    }

    /** A builder for a publisher signing with {@code signer}. */
    public static Builder builder(WebhookSigner signer) {
        return new Builder(Objects.requireNonNull(signer, "signer"));
    }

    /**
     * Makes one delivery attempt of {@code message}.
     *
     * @param message the message; its payload is sent as the body, byte for byte
     * @param attempt the attempt's number, from 1; every attempt is signed with a new timestamp
     * @return delivered, retry or rejected, as the class description maps them; never {@code null}
     * @throws InterruptedException if the thread was interrupted while waiting for the answer; nothing is
     *     known about whether the receiver got the message
     */
    @Override
    public PublishResult publish(OutboxMessage message, int attempt) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        URI destination;
        try {
            destination = destination(message.destination());
        } catch (IllegalArgumentException e) {
            return PublishResult.rejected(e.getMessage());
        }
        String where = describe(destination);

        HttpRequest request;
        try {
            request = request(message, destination);
        } catch (IllegalArgumentException e) {
            return PublishResult.rejected("Cannot send message " + message.id() + " to " + where + ": "
                    + e.getMessage());
        }

        CompletableFuture<HttpResponse<byte[]>> exchange =
                client.sendAsync(request, BoundedBody.handler(MAX_RESPONSE_BYTES));
        HttpResponse<byte[]> response;
        try {
            response = exchange.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            return PublishResult.retry("No complete answer from " + where + " within " + timeout.toMillis()
                    + " ms (attempt " + attempt + ")");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof HttpTimeoutException) {
                return PublishResult.retry("No answer from " + where + " within " + timeout.toMillis()
                        + " ms (attempt " + attempt + "): " + cause.getMessage());
            }
            if (cause instanceof IOException) {
                return PublishResult.retry("Could not deliver to " + where + " (attempt " + attempt + "): "
                        + cause.getClass().getSimpleName() + (cause.getMessage() == null ? ""
                                : ": " + cause.getMessage()));
            }
            if (cause instanceof IllegalArgumentException) {
                return PublishResult.rejected("Cannot send message " + message.id() + " to " + where + ": "
                        + cause.getMessage());
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("Delivery to " + where + " failed unexpectedly", cause);
        }
        return result(response, where);
    }

    private HttpRequest request(OutboxMessage message, URI destination) {
        byte[] payload = message.payload();
        SignedWebhook signed = signer.sign(message.id(), payload);
        HttpRequest.Builder request = HttpRequest.newBuilder(destination)
                .timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        boolean contentType = false;
        for (Header header : message.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (name.equals(WebhookHeaders.ID) || name.equals(WebhookHeaders.TIMESTAMP)
                    || name.equals(WebhookHeaders.SIGNATURE)) {
                continue;
            }
            if (RESTRICTED_HEADERS.contains(name)) {
                throw new IllegalArgumentException("the message has a " + header.name() + " header, which the HTTP "
                        + "client sets itself; remove it from the message");
            }
            contentType |= name.equals("content-type");
            request.header(header.name(), header.value());
        }
        if (!contentType) {
            request.header("Content-Type", DEFAULT_CONTENT_TYPE);
        }
        for (Header header : signed.headers()) {
            request.header(header.name(), header.value());
        }
        return request.build();
    }

    private PublishResult result(HttpResponse<byte[]> response, String where) {
        int status = response.statusCode();
        if (status >= 200 && status <= 299) {
            return PublishResult.delivered();
        }
        String error = "HTTP " + status + " from " + where + excerpt(response.body());
        if (status >= 300 && status <= 399) {
            return PublishResult.rejected(error + " (redirects are not followed: update the destination"
                    + response.headers().firstValue("Location").map(l -> " to the Location given").orElse("")
                    + ")");
        }
        boolean retryable = status == 408 || status == 409 || status == 425 || status == 429
                || status < 200 || status > 499;
        if (!retryable) {
            return PublishResult.rejected(error);
        }
        Optional<Duration> after = RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null),
                clock.instant());
        return after.isPresent() ? PublishResult.retryAfter(after.get(), error) : PublishResult.retry(error);
    }

    /** The destination, which must be an absolute http(s) URL with a host. */
    private static URI destination(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("The message has no destination; a webhook's destination is the "
                    + "absolute http(s) URL of the receiving endpoint");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("The destination is not a valid URL (" + e.getReason() + " at index "
                    + e.getIndex() + "); a webhook's destination is an absolute http(s) URL");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null) {
            throw new IllegalArgumentException("The destination " + describe(uri) + " is not an absolute http(s) "
                    + "URL with a host");
        }
        return uri;
    }

    /** The URL for messages: without user info or query, which may hold credentials. */
    private static String describe(URI uri) {
        StringBuilder out = new StringBuilder();
        if (uri.getScheme() != null) {
            out.append(uri.getScheme()).append("://");
        }
        if (uri.getHost() != null) {
            out.append(uri.getHost());
        }
        if (uri.getPort() >= 0) {
            out.append(':').append(uri.getPort());
        }
        if (uri.getRawPath() != null) {
            out.append(uri.getRawPath());
        }
        return out.toString();
    }

    private static String excerpt(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String text = new String(body, StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(": ");
        int limit = Math.min(text.length(), ERROR_EXCERPT_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            out.append(Character.isISOControl(c) ? ' ' : c);
        }
        if (text.length() > limit) {
            out.append("...");
        }
        return out.toString();
    }

    /** The bound on one attempt. */
    public Duration timeout() {
        return timeout;
    }

    /** Builds a {@link WebhookPublisher}. */
    public static final class Builder {

        private final WebhookSigner signer;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private HttpClient client;
        private Clock clock = Clock.systemUTC();

        private Builder(WebhookSigner signer) {
            this.signer = signer;
        }

        /**
         * The bound on one delivery attempt, from sending to the answer's last byte; default
         * {@value WebhookPublisher#DEFAULT_TIMEOUT_SECONDS} seconds. An attempt that takes longer is a retry.
         *
         * @throws IdempotencyConfigException if not positive
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw IdempotencyConfigException.invalid("timeout", timeout, "a positive duration, such as PT15S");
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * The bound on establishing a connection, for the client this builder creates; default 5 seconds. It
         * does not apply to a client given with {@link #httpClient}.
         *
         * @throws IdempotencyConfigException if not positive
         */
        public Builder connectTimeout(Duration connectTimeout) {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw IdempotencyConfigException.invalid("connectTimeout", connectTimeout,
                        "a positive duration, such as PT5S");
            }
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * The client to send with, for a proxy or TLS settings of your own. Set it not to follow redirects
         * ({@link HttpClient.Redirect#NEVER}, its default): a followed redirect would deliver to a URL nobody
         * configured. By default the builder creates an HTTP/1.1 client that never follows redirects.
         */
        public Builder httpClient(HttpClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The clock a {@code Retry-After} date is measured from; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The publisher. */
        public WebhookPublisher build() {
            HttpClient http = client != null ? client : HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .connectTimeout(connectTimeout.compareTo(timeout) < 0 ? connectTimeout : timeout)
                    .build();
            return new WebhookPublisher(signer, http, timeout, clock);
        }
    }
}
