package dev.idempotency.client;

import dev.idempotency.client.internal.KeyHeader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * An {@link HttpClient} wrapper that makes each logical call take effect once against an API that honours
 * {@code Idempotency-Key}: a {@code POST} or {@code PATCH} gets one key, generated once (or given by the
 * caller), sent on every attempt, and is attempted again only when a retry can help (a lost answer, a
 * timeout, 409, 429, 503 and the like, see {@link RetryPolicy}), after the pause the server asked for or a
 * jittered backoff, within a deadline.
 *
 * <pre>{@code
 * IdempotentHttpClient client = IdempotentHttpClient.wrap(HttpClient.newHttpClient());
 * IdempotentResponse<String> answer = client.send(request, HttpResponse.BodyHandlers.ofString());
 * }</pre>
 *
 * <p>The wrapped client keeps its own settings (connect timeout, TLS, proxy, executor, HTTP version); a
 * request's own {@code timeout} bounds each attempt, and the policy's deadline bounds the whole call. Every
 * answer is read into memory before it is handed to the caller's {@link HttpResponse.BodyHandler} (so that a
 * refusal can be read and a retry decided); this client is meant for API calls, not for streaming downloads.
 * The request's {@link HttpRequest.BodyPublisher} must be one that can be sent more than once, as the JDK's
 * {@code ofString}, {@code ofByteArray} and {@code ofFile} are.
 *
 * <p>Methods other than the keyed ones ({@code POST} and {@code PATCH} by default) are sent once and their
 * answer returned as it is, unless declared {@linkplain Builder#idempotentMethods idempotent}: those are
 * retried like keyed calls, without a key.
 *
 * <p>To survive a crash of the caller itself, choose the key before the first attempt and keep it where the
 * caller's own state is ({@link #newKey()}, then {@link #send(HttpRequest, HttpResponse.BodyHandler, String)}):
 * after a restart, sending the same request with the same key either runs it or replays what it did.
 *
 * <p>Thread-safe; one instance serves any number of concurrent calls.
 */
public final class IdempotentHttpClient {

    /** The request header carrying the key. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** The answer header by which a server says it replayed a stored outcome. */
    public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

    /** The methods keyed by default: {@code POST} and {@code PATCH}, the ones the IETF draft is about. */
    public static final Set<String> DEFAULT_KEYED_METHODS = Set.of("POST", "PATCH");

    /** How the key is written in its header. */
    public enum KeyFormat {
        /** As the IETF draft specifies, a Structured Field String: {@code Idempotency-Key: "8e03978e-..."}. */
        STRUCTURED,
        /** The bare key, as Stripe documents it: {@code Idempotency-Key: 8e03978e-...}. */
        BARE
    }

    private final HttpClient http;
    private final RetryPolicy policy;
    private final Supplier<String> keys;
    private final KeyFormat keyFormat;
    private final Set<String> keyedMethods;
    private final Set<String> idempotentMethods;
    private final Clock clock;

    private IdempotentHttpClient(Builder builder) {
        this.http = builder.http;
        this.policy = builder.policy;
        this.keys = builder.keys;
        this.keyFormat = builder.keyFormat;
        this.keyedMethods = Set.copyOf(builder.keyedMethods);
        this.idempotentMethods = Set.copyOf(builder.idempotentMethods);
        this.clock = builder.clock;
    }

    /** {@code http} with the defaults: POST and PATCH keyed with UUIDs, {@link RetryPolicy#ofDefaults()}. */
    public static IdempotentHttpClient wrap(HttpClient http) {
        return builder(http).build();
    }

    /** A builder around {@code http}. */
    public static Builder builder(HttpClient http) {
        return new Builder(Objects.requireNonNull(http, "http"));
    }

    /**
     * A new key from the client's generator, for a caller that keeps it before the first attempt and passes it
     * to {@link #send(HttpRequest, HttpResponse.BodyHandler, String)}.
     */
    public String newKey() {
        return KeyHeader.requireValid(keys.get());
    }

    /**
     * Makes the logical call {@code request}, with a new key if its method is keyed (or the key already in
     * its {@code Idempotency-Key} header), and waits for its final answer.
     *
     * @return the final answer: a success, or a status that a retry would not change
     * @throws RequestRefusedException for 400 and 413 on a keyed call, {@link KeyReusedException} for 422
     * @throws RetriesExhaustedException when the attempts or the deadline ran out first; its cause is the last
     *     attempt's failure when that attempt got no answer
     * @throws InterruptedException if interrupted while waiting; an attempt in flight may still reach the server
     */
    public <T> IdempotentResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws InterruptedException {
        return await(sendAsync(request, handler));
    }

    /**
     * Makes the logical call {@code request} under {@code key}, a key the caller chose (and may have kept, to
     * retry this call after a crash of its own), and waits for its final answer.
     *
     * @throws IllegalArgumentException if the key is not 1 to 255 visible ASCII characters, the method is not
     *     keyed, or the request's own {@code Idempotency-Key} header says another key
     * @see #send(HttpRequest, HttpResponse.BodyHandler)
     */
    public <T> IdempotentResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, String key)
            throws InterruptedException {
        return await(sendAsync(request, handler, key));
    }

    /**
     * The asynchronous form of {@link #send(HttpRequest, HttpResponse.BodyHandler)}: the future completes with
     * the final answer, or exceptionally with the same exceptions.
     */
    public <T> CompletableFuture<IdempotentResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        Objects.requireNonNull(request, "request");
        String key = null;
        if (isKeyed(request)) {
            key = request.headers().firstValue(IDEMPOTENCY_KEY).map(KeyHeader::key).orElseGet(this::newKey);
        }
        return new LogicalCall<>(this, request, Objects.requireNonNull(handler, "handler"), key).start();
    }

    /** The asynchronous form of {@link #send(HttpRequest, HttpResponse.BodyHandler, String)}. */
    public <T> CompletableFuture<IdempotentResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler, String key) {
        Objects.requireNonNull(request, "request");
        KeyHeader.requireValid(key);
        if (!isKeyed(request)) {
            throw new IllegalArgumentException(request.method() + " does not carry an Idempotency-Key here; keyed "
                    + "methods: " + new TreeSet<>(keyedMethods) + " (IdempotentHttpClient.Builder.keyedMethods)");
        }
        String own = request.headers().firstValue(IDEMPOTENCY_KEY).map(KeyHeader::key).orElse(key);
        if (!own.equals(key)) {
            throw new IllegalArgumentException("The request's own Idempotency-Key header carries another key than "
                    + "the one passed; give the key once");
        }
        return new LogicalCall<>(this, request, Objects.requireNonNull(handler, "handler"), key).start();
    }

    /** The wrapped client. */
    public HttpClient httpClient() {
        return http;
    }

    /** The retry policy. */
    public RetryPolicy retryPolicy() {
        return policy;
    }

    KeyFormat keyFormat() {
        return keyFormat;
    }

    Clock clock() {
        return clock;
    }

    boolean isRetried(HttpRequest request) {
        return isKeyed(request) || idempotentMethods.contains(request.method().toUpperCase(Locale.ROOT));
    }

    private boolean isKeyed(HttpRequest request) {
        return keyedMethods.contains(request.method().toUpperCase(Locale.ROOT));
    }

    private static <T> T await(CompletableFuture<T> call) throws InterruptedException {
        try {
            return call.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("The call failed unexpectedly", cause);
        } catch (InterruptedException e) {
            call.cancel(true);
            throw e;
        }
    }

    @Override
    public String toString() {
        return "IdempotentHttpClient[" + policy + ", keyed " + new TreeSet<>(keyedMethods) + ", idempotent "
                + new TreeSet<>(idempotentMethods) + ", " + keyFormat + "]";
    }

    /** Builds an {@link IdempotentHttpClient}. Not thread-safe. */
    public static final class Builder {

        private final HttpClient http;
        private RetryPolicy policy = RetryPolicy.ofDefaults();
        private Supplier<String> keys = () -> UUID.randomUUID().toString();
        private KeyFormat keyFormat = KeyFormat.STRUCTURED;
        private Set<String> keyedMethods = new TreeSet<>(DEFAULT_KEYED_METHODS);
        private Set<String> idempotentMethods = new TreeSet<>();
        private Clock clock = Clock.systemUTC();

        private Builder(HttpClient http) {
            this.http = http;
        }

        /** When and how often calls are attempted again; default {@link RetryPolicy#ofDefaults()}. */
        public Builder retryPolicy(RetryPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Where new keys come from; default random UUIDs (version 4). Each key must be 1 to 255 visible ASCII
         * characters and, for exactly-once, unique per logical action.
         */
        public Builder keys(Supplier<String> keys) {
            this.keys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** How the key is written; default {@link KeyFormat#STRUCTURED}, as the IETF draft specifies. */
        public Builder keyFormat(KeyFormat keyFormat) {
            this.keyFormat = Objects.requireNonNull(keyFormat, "keyFormat");
            return this;
        }

        /**
         * The methods that get a key and are retried with it; default {@code POST} and {@code PATCH}.
         *
         * @throws IllegalArgumentException if a method is blank
         */
        public Builder keyedMethods(Set<String> methods) {
            this.keyedMethods = methods(methods);
            return this;
        }

        /**
         * Methods the caller declares idempotent by themselves ({@code GET}, {@code PUT}, {@code DELETE} on a
         * well-behaved API): retried like keyed calls, but without a key. Default none: such calls are sent
         * once.
         *
         * @throws IllegalArgumentException if a method is blank
         */
        public Builder idempotentMethods(Set<String> methods) {
            this.idempotentMethods = methods(methods);
            return this;
        }

        /** The clock the deadline is measured with; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The client. */
        public IdempotentHttpClient build() {
            return new IdempotentHttpClient(this);
        }

        private static Set<String> methods(Set<String> methods) {
            Objects.requireNonNull(methods, "methods");
            Set<String> upper = new TreeSet<>();
            for (String method : methods) {
                if (method == null || method.isBlank()) {
                    throw new IllegalArgumentException("A method name must not be blank: " + methods);
                }
                upper.add(method.strip().toUpperCase(Locale.ROOT));
            }
            return upper;
        }
    }
}
