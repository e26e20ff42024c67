package dev.idempotency.client.internal;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import javax.net.ssl.SSLSession;

/**
 * An answer read whole as bytes (so that the client can look at a refusal's problem document and decide on a
 * retry) and then handed to the caller's {@link HttpResponse.BodyHandler}, which reads the same bytes as it
 * would have read them from the connection.
 */
public final class BufferedAnswer {

    private BufferedAnswer() {
    }

    /** {@code answer} with its body read by {@code handler}. */
    public static <T> CompletableFuture<HttpResponse<T>> handOver(HttpResponse<byte[]> answer,
            HttpResponse.BodyHandler<T> handler) {
        HttpResponse.ResponseInfo info = new HttpResponse.ResponseInfo() {
            @Override
            public int statusCode() {
                return answer.statusCode();
            }

            @Override
            public HttpHeaders headers() {
                return answer.headers();
            }

            @Override
            public HttpClient.Version version() {
                return answer.version();
            }
        };
        HttpResponse.BodySubscriber<T> subscriber = Objects.requireNonNull(handler.apply(info),
                "the BodyHandler returned no BodySubscriber");
        byte[] body = answer.body() == null ? new byte[0] : answer.body();
        subscriber.onSubscribe(new OneShot(subscriber, body));
        return subscriber.getBody().toCompletableFuture()
                .thenApply(value -> new Answer<>(answer, value));
    }

    /** Delivers the body in one piece on the first demand, then completes. */
    private static final class OneShot implements Flow.Subscription {

        private final Flow.Subscriber<? super List<ByteBuffer>> subscriber;
        private final byte[] body;
        private boolean started;

        OneShot(Flow.Subscriber<? super List<ByteBuffer>> subscriber, byte[] body) {
            this.subscriber = subscriber;
            this.body = body;
        }

        @Override
        public synchronized void request(long n) {
            // A request made from within onNext finds started set and returns: onComplete follows onNext here.
            if (started) {
                return;
            }
            started = true;
            if (n <= 0) {
                subscriber.onError(new IllegalArgumentException("non-positive subscription request: " + n));
                return;
            }
            if (body.length > 0) {
                subscriber.onNext(List.of(ByteBuffer.wrap(body).asReadOnlyBuffer()));
            }
            subscriber.onComplete();
        }

        @Override
        public synchronized void cancel() {
            started = true;
        }
    }

    /** The answer with the caller's body. */
    private record Answer<T>(HttpResponse<byte[]> raw, T body) implements HttpResponse<T> {

        @Override
        public int statusCode() {
            return raw.statusCode();
        }

        @Override
        public HttpRequest request() {
            return raw.request();
        }

        @Override
        public Optional<HttpResponse<T>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public HttpHeaders headers() {
            return raw.headers();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return raw.sslSession();
        }

        @Override
        public URI uri() {
            return raw.uri();
        }

        @Override
        public HttpClient.Version version() {
            return raw.version();
        }

        @Override
        public String toString() {
            return "(" + request().method() + " " + uri() + ") " + statusCode();
        }
    }
}
