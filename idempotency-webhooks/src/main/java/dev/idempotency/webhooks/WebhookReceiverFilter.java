package dev.idempotency.webhooks;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.jdbc.inbox.InboxResult;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.servlet.CapturedExchange;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Receives Standard Webhooks: verifies each request's signature and timestamp, then runs the handler at most
 * once per {@value WebhookHeaders#ID}, with the handler's database writes and the "already processed" marker
 * in one transaction of a {@link JdbcInbox}.
 *
 * <p>For every request it covers ({@link DispatcherType#REQUEST} dispatches of the URLs it is mapped to, any
 * method):
 * <ol>
 * <li>The body is read, at most {@linkplain Builder#maxBodyBytes the limit} (1 MiB by default); a larger one is
 * answered 413 unread.</li>
 * <li>The request is verified ({@link WebhookVerifier}): a missing or malformed header, no matching signature,
 * or a timestamp beyond the tolerance is answered 401 with an {@code application/problem+json} body that says
 * what to check. The handler does not run.</li>
 * <li>The handler runs inside {@link JdbcInbox#process}, for the filter's consumer name and the webhook id, with
 * its response held in memory by a {@link CapturedExchange}, as {@code IdempotencyFilter} holds it. Its writes
 * through {@link JdbcInbox#transactionalDataSource()} join the inbox's transaction. If it answers 2xx, the
 * marker and its writes commit together and then its response is sent, with its cookies. If it answers
 * anything else, or throws, the transaction rolls back (no marker, no writes) and the response or exception
 * goes to the sender, whose retry runs the handler again.</li>
 * <li>A webhook id already processed for this consumer with the same body is answered
 * {@value #DUPLICATE_STATUS} (No Content) with {@code Webhook-Duplicate: true}, without running the handler.
 * With a different body (the inbox's marker keeps the SHA-256 of the body it was processed with) it is
 * answered 422 {@code application/problem+json}, type {@code urn:idempotency:problem:webhook-id-reused},
 * without running the handler: the rule of an {@code Idempotency-Key} reused for a different request. A marker
 * recorded before the inbox kept body digests answers every body as a duplicate. A redelivery that arrives
 * while the first delivery is still running waits for it (holding a connection), then is answered as above if
 * the first committed, or runs the handler itself if the first rolled back.</li>
 * <li>If the inbox's database cannot be reached or the commit fails for a reason a retry can fix, the effects
 * are rolled back and the answer is 503 with {@code Retry-After}; other database failures are answered 500.
 * Either way nothing took effect and the sender's next attempt runs the handler again.</li>
 * </ol>
 * The handler finds the {@link VerifiedWebhook} in the request attribute {@value #WEBHOOK_ATTRIBUTE}, and the
 * body in the request's input stream, byte for byte as received. Like {@code IdempotencyFilter}, the handler
 * must be synchronous and must not commit the transaction itself.
 *
 * <pre>{@code
 * WebhookReceiverFilter filter = WebhookReceiverFilter.builder(inbox, "billing-events")
 *         .secrets(WebhookSecret.parse("app.webhooks.secret", secretText))
 *         .build();
 * servletContext.addFilter("webhooks", filter).addMappingForUrlPatterns(null, false, "/webhooks/*");
 * }</pre>
 */
public final class WebhookReceiverFilter implements Filter {

    /** The request attribute holding the {@link VerifiedWebhook} for the handler. */
    public static final String WEBHOOK_ATTRIBUTE = "dev.idempotency.webhook";

    /** The header that marks the answer to a webhook id that was already processed. */
    public static final String DUPLICATE_HEADER = "Webhook-Duplicate";

    /** The status answered to a webhook id that was already processed. */
    public static final int DUPLICATE_STATUS = 204;

    /** The default limit on a request body: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    /** The default limit on a handler's response, which is held in memory until the commit: 1 MiB. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

    /** The {@code Retry-After}, in seconds, sent with 503 when the inbox's database fails. */
    public static final long UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

    private static final System.Logger LOG = System.getLogger(WebhookReceiverFilter.class.getName());

    /**
     * The class of idempotency-servlet the filter runs its handler with. That artifact is an optional dependency
     * of this one, so it is looked for by name: naming the class in code would fail with a bare
     * {@link NoClassDefFoundError} at the first request instead.
     */
    static final String CAPTURE_CLASS = "dev.idempotency.servlet.CapturedExchange";

    private final JdbcInbox inbox;
    private final String consumer;
    private final WebhookVerifier verifier;
    private final int maxBodyBytes;
    private final int maxResponseBytes;

    private WebhookReceiverFilter(Builder builder, WebhookVerifier verifier) {
        this.inbox = builder.inbox;
        this.consumer = builder.consumer;
        this.verifier = verifier;
        this.maxBodyBytes = builder.maxBodyBytes;
        this.maxResponseBytes = builder.maxResponseBytes;
    }

    /**
     * A builder for a filter that deduplicates in {@code inbox} under {@code consumer}, the name that keeps
     * this endpoint's markers apart from other consumers of the same ids.
     *
     * @throws IdempotencyConfigException if the consumer name is blank or longer than
     *     {@value JdbcInbox#MAX_CONSUMER_LENGTH} characters, or if the application lacks idempotency-servlet,
     *     which the filter needs and this artifact does not bring
     */
    public static Builder builder(JdbcInbox inbox, String consumer) {
        requireServletModule();
        Objects.requireNonNull(inbox, "inbox");
        Objects.requireNonNull(consumer, "consumer");
        if (consumer.isBlank() || consumer.length() > JdbcInbox.MAX_CONSUMER_LENGTH) {
            throw IdempotencyConfigException.invalid("consumer", consumer,
                    "a name of 1 to " + JdbcInbox.MAX_CONSUMER_LENGTH + " characters that identifies this receiver, such as "
                            + "billing-events");
        }
        return new Builder(inbox, consumer);
    }

    private static void requireServletModule() {
        try {
            Class.forName(CAPTURE_CLASS, false, WebhookReceiverFilter.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw IdempotencyConfigException.missing("dependency dev.idempotency:idempotency-servlet",
                    "WebhookReceiverFilter holds its handler's response in memory until the inbox has committed, "
                            + "with that module's CapturedExchange (" + CAPTURE_CLASS + "), and idempotency-webhooks "
                            + "does not bring it: add it to the application beside idempotency-webhooks and "
                            + "idempotency-jdbc, in the same version");
        }
    }

    /** The consumer name this filter deduplicates under. */
    public String consumer() {
        return consumer;
    }

    /**
     * Reads, verifies and deduplicates a webhook, running the rest of the chain at most once per webhook id
     * (see the class description). Requests that are not HTTP or not {@link DispatcherType#REQUEST}
     * dispatches pass through.
     *
     * @throws IOException if the handler threw one; its effects were rolled back
     * @throws ServletException if the handler threw one, or another checked exception (wrapped); its effects
     *     were rolled back
     * @throws IllegalStateException if the request is already inside a transaction bound on the inbox's pool,
     *     as it would be behind {@code IdempotencyFilter} on the same database: the inbox needs its own
     */
    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        Optional<CapturedExchange> covered = CapturedExchange.ofRequestDispatch(req, res);
        if (covered.isEmpty()) {
            chain.doFilter(req, res);
            return;
        }
        CapturedExchange exchange = covered.get();
        HttpServletRequest request = exchange.request();

        byte[] body;
        try {
            body = exchange.readBody(maxBodyBytes);
        } catch (RequestBodyTooLargeException e) {
            exchange.sendProblem(WebhookProblems.bodyTooLarge(e));
            return;
        }

        VerifiedWebhook webhook;
        try {
            webhook = verifier.verifyAll(values(request, WebhookHeaders.ID), values(request, WebhookHeaders.TIMESTAMP),
                    values(request, WebhookHeaders.SIGNATURE), body);
        } catch (WebhookVerificationException e) {
            exchange.sendProblem(WebhookProblems.unverified(e));
            return;
        }

        request.setAttribute(WEBHOOK_ATTRIBUTE, webhook);
        InboxResult<HandlerResponse> result;
        try {
            result = inbox.process(consumer, webhook.id(), body, () -> {
                HandlerResponse handled;
                try {
                    handled = exchange.runHandler(chain, body, maxResponseBytes);
                } catch (Throwable t) {
                    throw new HandlerFailed(t);
                }
                if (handled.truncated() || handled.status() < 200 || handled.status() > 299) {
                    // Thrown, not returned, so the inbox rolls back: no marker, none of the handler's writes.
                    throw new NotCommitted(handled);
                }
                return handled;
            });
        } catch (HandlerFailed e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof ServletException servlet) {
                throw servlet;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new ServletException(cause);
        } catch (NotCommitted e) {
            send(exchange, e.handled);
            return;
        } catch (StoreUnavailableException e) {
            LOG.log(Level.WARNING, "Could not record webhook " + webhook.id() + " for consumer " + consumer
                    + "; answered 503 so the sender delivers it again", e);
            exchange.sendProblem(WebhookProblems.inboxUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS));
            return;
        } catch (StoreException e) {
            LOG.log(Level.ERROR, "Could not record webhook " + webhook.id() + " for consumer " + consumer
                    + "; its effects were rolled back and it was answered 500", e);
            exchange.sendProblem(WebhookProblems.inboxFailure());
            return;
        } catch (IOException | ServletException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // process() declares Exception for the work's sake; the work here throws only the two above.
            throw new ServletException(e);
        }
        if (result instanceof InboxResult.Applied<HandlerResponse> applied) {
            send(exchange, applied.value());
        } else if (result instanceof InboxResult.Reused) {
            exchange.sendProblem(WebhookProblems.idReused(webhook.id()));
        } else {
            HttpServletResponse response = exchange.response();
            response.setStatus(DUPLICATE_STATUS);
            response.setHeader(DUPLICATE_HEADER, "true");
        }
    }

    /** The handler's answer, with its cookies; a problem if it outgrew the limit and lost its body. */
    private void send(CapturedExchange exchange, HandlerResponse handled) throws IOException {
        if (handled.truncated()) {
            exchange.sendProblem(WebhookProblems.responseTooLarge(maxResponseBytes));
            return;
        }
        exchange.sendHandlerResponse(handled);
    }

    private static List<String> values(HttpServletRequest request, String name) {
        return Collections.list(request.getHeaders(name));
    }

    /** Carries a handler's exception through the inbox, which rolls back, to be rethrown unchanged. */
    private static final class HandlerFailed extends Exception {

        private static final long serialVersionUID = 1L;

        HandlerFailed(Throwable cause) {
            super(null, cause, false, false);
        }
    }

    /** Rolls back a handler's work that did not succeed, carrying its response to the sender. */
    private static final class NotCommitted extends Exception {

        private static final long serialVersionUID = 1L;

        private final transient HandlerResponse handled;

        NotCommitted(HandlerResponse handled) {
            super(null, null, false, false);
            this.handled = handled;
        }
    }

    /** Builds a {@link WebhookReceiverFilter}. */
    public static final class Builder {

        private final JdbcInbox inbox;
        private final String consumer;
        private final WebhookVerifier.Builder verifier = WebhookVerifier.builder();
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

        private Builder(JdbcInbox inbox, String consumer) {
            this.inbox = inbox;
            this.consumer = consumer;
        }

        /** The secrets a webhook may be signed with: the current one, and during a rotation the other. */
        public Builder secrets(WebhookSecret... secrets) {
            verifier.secrets(secrets);
            return this;
        }

        /** The secrets a webhook may be signed with: the current one, and during a rotation the other. */
        public Builder secrets(List<WebhookSecret> secrets) {
            verifier.secrets(secrets);
            return this;
        }

        /**
         * How far a webhook's timestamp may be from now, in either direction; default 5 minutes.
         *
         * @throws IdempotencyConfigException if less than one second
         * @see WebhookVerifier.Builder#tolerance
         */
        public Builder tolerance(Duration tolerance) {
            verifier.tolerance(tolerance);
            return this;
        }

        /** The clock timestamps are compared with; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            verifier.clock(clock);
            return this;
        }

        /**
         * Where each signature check is reported (see {@link WebhookVerifier.Builder#listener}); the deliveries'
         * results are reported by the inbox, to its own builder's listener.
         */
        public Builder listener(IdempotencyListener listener) {
            verifier.listener(listener);
            return this;
        }

        /**
         * The largest request body accepted, in bytes; default {@value WebhookReceiverFilter#DEFAULT_MAX_BODY_BYTES}.
         * A larger one is answered 413 without being read further.
         *
         * @throws IdempotencyConfigException if less than 1
         */
        public Builder maxBodyBytes(int maxBodyBytes) {
            if (maxBodyBytes < 1) {
                throw IdempotencyConfigException.invalid("maxBodyBytes", maxBodyBytes, "a positive number of bytes");
            }
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /**
         * The largest handler response held until the commit, in bytes; default
         * {@value WebhookReceiverFilter#DEFAULT_MAX_RESPONSE_BYTES}. A larger one rolls the handler's effects
         * back and is answered 500.
         *
         * @throws IdempotencyConfigException if less than 1
         */
        public Builder maxResponseBytes(int maxResponseBytes) {
            if (maxResponseBytes < 1) {
                throw IdempotencyConfigException.invalid("maxResponseBytes", maxResponseBytes,
                        "a positive number of bytes");
            }
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /**
         * The filter.
         *
         * @throws IdempotencyConfigException if no secret was given
         */
        public WebhookReceiverFilter build() {
            return new WebhookReceiverFilter(this, verifier.build());
        }
    }
}
