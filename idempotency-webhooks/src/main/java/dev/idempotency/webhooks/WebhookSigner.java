package dev.idempotency.webhooks;

import dev.idempotency.IdempotencyConfigException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Signs webhooks as the Standard Webhooks specification (v1, symmetric) defines: the signature is
 * {@code v1,} followed by the base64 of the HMAC-SHA256, under the secret's key, of
 * {@code {webhook-id}.{webhook-timestamp}.{raw body}}.
 *
 * <p>During a secret rotation the signer holds several secrets and the {@value WebhookHeaders#SIGNATURE}
 * header carries one signature per secret, space-separated, in the order the secrets were given; a receiver
 * that knows any one of them accepts the webhook. Sign each delivery attempt anew: the timestamp is the
 * attempt's, and receivers refuse old ones.
 *
 * <p>Instances are immutable and safe to share between threads.
 *
 * <pre>{@code
 * WebhookSigner signer = WebhookSigner.create(WebhookSecret.parse("app.webhooks.secret", secretText));
 * SignedWebhook signed = signer.sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", body);
 * }</pre>
 */
public final class WebhookSigner {

    /** The version tag of HMAC-SHA256 signatures. */
    public static final String VERSION = "v1";

    private final List<WebhookSecret> secrets;
    private final Clock clock;

    private WebhookSigner(List<WebhookSecret> secrets, Clock clock) {
        this.secrets = secrets;
        this.clock = clock;
    }

    /**
     * A signer with these secrets (the current one first, then any being rotated out) and the system clock.
     *
     * @throws IdempotencyConfigException if no secret is given
     */
    public static WebhookSigner create(WebhookSecret... secrets) {
        return builder().secrets(secrets).build();
    }

    /** A builder; {@link Builder#secrets} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Signs a delivery attempt made now, by the signer's clock.
     *
     * @param id the webhook's id: the same for every attempt to deliver one message
     * @param body the exact bytes that will be sent as the request body
     * @throws IllegalArgumentException if the id is empty, longer than 255 characters, contains a full stop
     *     or anything but visible ASCII
     */
    public SignedWebhook sign(String id, byte[] body) {
        return sign(id, clock.instant(), body);
    }

    /**
     * Signs a delivery attempt made at {@code timestamp} (truncated to whole seconds).
     *
     * @throws IllegalArgumentException if the id is not valid (see {@link #sign(String, byte[])}) or the
     *     timestamp is before the Unix epoch
     */
    public SignedWebhook sign(String id, Instant timestamp, byte[] body) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(body, "body");
        String problem = WebhookIds.problem(id);
        if (problem != null) {
            throw new IllegalArgumentException("Cannot sign a webhook with this id: " + problem);
        }
        long seconds = timestamp.getEpochSecond();
        if (seconds < 0) {
            throw new IllegalArgumentException("Cannot sign a webhook timestamped before the Unix epoch: " + timestamp);
        }
        StringBuilder header = new StringBuilder(secrets.size() * 48);
        for (WebhookSecret secret : secrets) {
            if (header.length() > 0) {
                header.append(' ');
            }
            header.append(VERSION).append(',')
                    .append(Base64.getEncoder().encodeToString(secret.sign(id, seconds, body)));
        }
        return new SignedWebhook(id, seconds, header.toString());
    }

    /** The number of secrets this signer signs with, which is the number of signatures per webhook. */
    public int secretCount() {
        return secrets.size();
    }

    /** Builds a {@link WebhookSigner}. */
    public static final class Builder {

        private final SecretList secrets = new SecretList();
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The secrets to sign with, replacing any given before: the current one first. At least one. */
        public Builder secrets(WebhookSecret... secrets) {
            this.secrets.replace(secrets);
            return this;
        }

        /** The secrets to sign with, replacing any given before: the current one first. At least one. */
        public Builder secrets(List<WebhookSecret> secrets) {
            this.secrets.replace(secrets);
            return this;
        }

        /** The clock that timestamps attempts; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The signer.
         *
         * @throws IdempotencyConfigException if no secret was given
         */
        public WebhookSigner build() {
            return new WebhookSigner(secrets.required("a webhook signer needs at least one WebhookSecret to sign with"),
                    clock);
        }
    }
}
