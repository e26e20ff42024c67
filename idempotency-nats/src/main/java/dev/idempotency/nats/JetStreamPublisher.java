package dev.idempotency.nats;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import dev.idempotency.nats.internal.NatsConnections;
import dev.idempotency.nats.internal.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamOptions;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes outbox messages to NATS JetStream: each attempt publishes the message's payload on the subject named
 * by its {@link OutboxMessage#destination() destination}, with every header of the message as a NATS header, the
 * message's {@link OutboxMessage#id() id} as {@value #MESSAGE_ID_HEADER} and its ordering key, when it has one,
 * as {@value #KEY_HEADER}, and waits for the stream's acknowledgement.
 *
 * <p>Guarantees: a message is {@link PublishResult#delivered() delivered} only once a stream acknowledged that it
 * stored it (or that it had stored it before: a re-publication of the same id within the stream's duplicate
 * window, which JetStream drops and acknowledges as a duplicate). The id is the same on every attempt, so a
 * re-publication after a relay crash, a lost lease or a failed mark is dropped by the stream while it is in its
 * duplicate window, and recognised by the consumer's inbox after it (see {@link JetStreamInboxConsumer}).
 *
 * <p>How an attempt maps to a {@link PublishResult}:
 * <table>
 * <caption>Outcome to result</caption>
 * <tr><th>Outcome</th><th>Result</th></tr>
 * <tr><td>the stream's acknowledgement, new or duplicate</td><td>delivered</td></tr>
 * <tr><td>no acknowledgement within the {@linkplain Builder#timeout timeout}; no stream listens on the subject
 * (no responders: it may be created, or the server may be starting); the connection is down or reconnecting; a
 * JetStream error with a code of 5xx, 408 or 429</td><td>retry</td></tr>
 * <tr><td>a subject that cannot be published to (empty token, wildcard, white space); a header NATS cannot carry;
 * a payload over the server's maximum; any other JetStream error (the stream is not the
 * {@linkplain Builder#expectedStream expected one}, the message exceeds the stream's maximum size)</td>
 * <td>rejected</td></tr>
 * </table>
 * Every result's error names the message id and the subject. Instances are safe for concurrent use.
 */
public final class JetStreamPublisher implements OutboxPublisher, AutoCloseable {

    /** The header JetStream deduplicates on: the outbox message's id. */
    public static final String MESSAGE_ID_HEADER = "Nats-Msg-Id";

    /** The header carrying the outbox message's ordering key, when it has one. */
    public static final String KEY_HEADER = "Outbox-Key";

    /** The default bound on one attempt, from publishing to the stream's acknowledgement, in seconds. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 5;

    /** The default bound on one attempt, and on connecting. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);

    private final Connection connection;
    private final boolean ownsConnection;
    private final String servers;
    private final JetStream jetStream;
    private final Duration timeout;
    private final String expectedStream;

    private JetStreamPublisher(Builder builder, Connection connection, boolean ownsConnection) throws IOException {
        this.connection = connection;
        this.ownsConnection = ownsConnection;
        this.servers = builder.url != null ? NatsConnections.redact(builder.url) : "(a connection given)";
        this.timeout = builder.timeout;
        this.expectedStream = builder.expectedStream;
        this.jetStream = connection.jetStream(JetStreamOptions.builder().requestTimeout(timeout).build());
    }

    /** A builder; give it a {@link Builder#url url} or a {@link Builder#connection connection}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Makes one publication attempt of {@code message} and waits up to the timeout for the stream's
     * acknowledgement.
     *
     * @param message the message; its payload is published byte for byte
     * @param attempt the attempt's number, from 1 (only used in errors)
     * @return delivered, retry or rejected, as the class description maps them; never {@code null}
     * @throws InterruptedException if the thread was interrupted while waiting; whether the stream stored the
     *     message is unknown, and a re-publication carries the same id
     */
    @Override
    public PublishResult publish(OutboxMessage message, int attempt) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        String subject = message.destination();
        String where = "message " + message.id() + " on subject '" + subject + "'";
        String problem = Subjects.publishProblem(subject);
        if (problem != null) {
            return PublishResult.rejected("Cannot publish " + where + ": " + problem);
        }
        NatsMessage natsMessage;
        try {
            Headers headers = new Headers();
            for (Header header : message.headers()) {
                if (header.name().equalsIgnoreCase(MESSAGE_ID_HEADER) || header.name().equalsIgnoreCase(KEY_HEADER)) {
                    continue;
                }
                headers.add(header.name(), header.value());
            }
            if (message.key() != null) {
                headers.put(KEY_HEADER, message.key());
            }
            natsMessage = NatsMessage.builder().subject(subject).headers(headers).data(message.payload()).build();
        } catch (IllegalArgumentException e) {
            return PublishResult.rejected("Cannot publish " + where + ": " + e.getMessage());
        }
        if (connection.getStatus() != Connection.Status.CONNECTED) {
            return PublishResult.retry("Cannot publish " + where + " (attempt " + attempt + "): the connection to NATS "
                    + "is " + connection.getStatus().name().toLowerCase(Locale.ROOT));
        }
        long maxPayload = connection.getMaxPayload();
        if (maxPayload > 0 && message.payloadLength() > maxPayload) {
            return PublishResult.rejected("Cannot publish " + where + ": its payload of " + message.payloadLength()
                    + " bytes exceeds the server's maximum of " + maxPayload);
        }
        PublishOptions.Builder options = PublishOptions.builder().messageId(message.id()).streamTimeout(timeout);
        if (expectedStream != null) {
            options.expectedStream(expectedStream);
        }

        CompletableFuture<PublishAck> acknowledgement;
        try {
            acknowledgement = jetStream.publishAsync(natsMessage, options.build());
        } catch (IllegalArgumentException e) {
            return PublishResult.rejected("Cannot publish " + where + ": " + e.getMessage());
        } catch (IllegalStateException e) {
            return PublishResult.retry("Cannot publish " + where + " (attempt " + attempt + "): " + e.getMessage());
        }
        PublishAck ack;
        try {
            ack = acknowledgement.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            acknowledgement.cancel(true);
            return PublishResult.retry("No acknowledgement of " + where + " within " + timeout.toMillis()
                    + " ms (attempt " + attempt + ")");
        } catch (InterruptedException e) {
            acknowledgement.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            return failure(e.getCause() != null ? e.getCause() : e, where, attempt);
        } catch (java.util.concurrent.CancellationException e) {
            return PublishResult.retry("No acknowledgement of " + where + " (attempt " + attempt + "): the request "
                    + "was cancelled by the client");
        }
        if (ack == null) {
            return PublishResult.retry("No acknowledgement of " + where + " (attempt " + attempt + ")");
        }
        return PublishResult.delivered();
    }

    private static PublishResult failure(Throwable cause, String where, int attempt) {
        // The client hands an API error over wrapped in a RuntimeException.
        JetStreamApiException api = null;
        for (Throwable t = cause; t != null && api == null; t = t.getCause()) {
            if (t instanceof JetStreamApiException found) {
                api = found;
            }
        }
        if (api != null) {
            int code = api.getErrorCode();
            String error = "JetStream refused " + where + " (attempt " + attempt + "): " + api.getErrorDescription()
                    + " (code " + code + ", error code " + api.getApiErrorCode() + ")";
            return code >= 500 || code == 408 || code == 429 ? PublishResult.retry(error)
                    : PublishResult.rejected(error);
        }
        String text = String.valueOf(cause.getMessage());
        if (text.contains("503") || text.toLowerCase(Locale.ROOT).contains("no responders")) {
            return PublishResult.retry("No JetStream stream answered for " + where + " (attempt " + attempt
                    + "): no stream listens on the subject, or the server's JetStream is not ready");
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return PublishResult.retry("Could not publish " + where + " (attempt " + attempt + "): "
                + cause.getClass().getSimpleName() + ": " + text);
    }

    /** The bound on one attempt. */
    public Duration timeout() {
        return timeout;
    }

    /** Closes the connection if this publisher opened it (from a {@link Builder#url url}); a given one stays open. */
    @Override
    public void close() throws InterruptedException {
        if (ownsConnection) {
            connection.close();
        }
    }

    /** The servers (passwords and tokens hidden), the timeout and the expected stream. */
    @Override
    public String toString() {
        return "JetStreamPublisher[servers=" + servers + ", timeout=" + timeout
                + (expectedStream == null ? "" : ", expectedStream=" + expectedStream) + "]";
    }

    /** Builds a {@link JetStreamPublisher}; every setting is checked when it is set. */
    public static final class Builder {

        private String url;
        private Connection connection;
        private Duration timeout = DEFAULT_TIMEOUT;
        private String expectedStream;

        private Builder() {
        }

        /**
         * The servers to connect to: {@code nats://host:4222}, several separated by commas, with credentials as
         * {@code nats://user:password@host} or {@code nats://token@host} (never shown: redacted in
         * {@code toString} and errors). The publisher opens the connection when built, reconnects by itself, and
         * closes it in {@link JetStreamPublisher#close()}. Either this or {@link #connection}.
         *
         * @throws IdempotencyConfigException if it is not such a list, naming the value with its secrets hidden
         */
        public Builder url(String url) {
            this.url = NatsConnections.requireUrls("url", url);
            return this;
        }

        /**
         * A connection of the application's own (for TLS, NKeys or credentials files, or to share one connection):
         * the publisher never closes it. Either this or {@link #url}.
         */
        public Builder connection(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
            return this;
        }

        /**
         * The bound on one attempt, from publishing to the stream's acknowledgement, and on connecting; default
         * {@value JetStreamPublisher#DEFAULT_TIMEOUT_SECONDS} seconds. Keep it well below the relay's lease.
         *
         * @throws IdempotencyConfigException if not positive
         */
        public Builder timeout(Duration timeout) {
            this.timeout = NatsConnections.requirePositive("timeout", timeout);
            return this;
        }

        /**
         * The stream every message must be stored in: a message whose subject another stream holds is rejected
         * by the server ({@code Nats-Expected-Stream}), so a subject mapped to the wrong stream shows up as dead
         * messages instead of silently going elsewhere. Default: any stream.
         *
         * @throws IdempotencyConfigException if it is not a valid stream name
         */
        public Builder expectedStream(String stream) {
            if (!Subjects.isValidName(stream)) {
                throw IdempotencyConfigException.invalid("expectedStream", stream,
                        "a stream name: not empty, without white space, '.', '*', '>' or path separators");
            }
            this.expectedStream = stream;
            return this;
        }

        /**
         * The publisher, connected.
         *
         * @throws IdempotencyConfigException if neither or both of {@code url} and {@code connection} were given
         * @throws java.io.UncheckedIOException if the servers of {@code url} cannot be reached (the message names
         *     them with their secrets hidden)
         */
        public JetStreamPublisher build() {
            if (url == null && connection == null) {
                throw IdempotencyConfigException.missing("url or connection",
                        "give the publisher one of url(...) and connection(...)");
            }
            if (url != null && connection != null) {
                throw IdempotencyConfigException.inconsistent("url", NatsConnections.redact(url),
                        "give the publisher one of url(...) and connection(...), not both");
            }
            Connection used = connection != null ? connection
                    : NatsConnections.connect(url, "idempotency-outbox-relay", timeout);
            try {
                return new JetStreamPublisher(this, used, connection == null);
            } catch (IOException e) {
                if (connection == null) {
                    try {
                        used.close();
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
