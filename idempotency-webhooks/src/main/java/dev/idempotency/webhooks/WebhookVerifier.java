package dev.idempotency.webhooks;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.WebhookVerificationEvent;
import dev.idempotency.internal.GuardedListener;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies received webhooks as the Standard Webhooks specification (v1, symmetric) defines, before anything
 * acts on them:
 * <ol>
 * <li>the three headers {@value WebhookHeaders#ID}, {@value WebhookHeaders#TIMESTAMP} and
 * {@value WebhookHeaders#SIGNATURE} are present, once each, and well formed (the id 1 to 255 visible ASCII
 * characters without a full stop, the timestamp digits only);</li>
 * <li>at least one {@code v1,} signature in the header equals the HMAC-SHA256 of
 * {@code {id}.{timestamp}.{raw body}} under at least one of the configured secrets, compared in constant
 * time ({@link MessageDigest#isEqual}); signatures of other versions ({@code v1a}, ...) are ignored;</li>
 * <li>the timestamp is at most the tolerance ({@value #DEFAULT_TOLERANCE_SECONDS} seconds by default) before
 * or after the current second of the verifier's clock (both in whole seconds, so with the default a timestamp
 * 300 seconds off is accepted and one 301 seconds off is refused, whatever the fraction of the current
 * second).</li>
 * </ol>
 * The signature is checked before the timestamp, so a timestamp rejection always concerns an authentic
 * delivery (a replay, or a clock that is off), and says so.
 *
 * <p>Several secrets are accepted so an endpoint's secret can be rotated without downtime: configure the new
 * secret beside the old, move the sender to the new one, then remove the old.
 *
 * <p>Verify the body exactly as received, before any parsing: a re-serialised JSON document is different
 * bytes. Instances are immutable and safe to share between threads.
 */
public final class WebhookVerifier {

    /** The default tolerance, in seconds, for the timestamp's distance from now in either direction. */
    public static final long DEFAULT_TOLERANCE_SECONDS = 300;

    /** The default tolerance for the timestamp's distance from now in either direction: 5 minutes. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofSeconds(DEFAULT_TOLERANCE_SECONDS);

    private static final String V1_PREFIX = WebhookSigner.VERSION + ",";
    private static final int MAX_TIMESTAMP_DIGITS = 12;

    private final List<WebhookSecret> secrets;
    private final Duration tolerance;
    private final Clock clock;
    private final GuardedListener listener;

    private WebhookVerifier(List<WebhookSecret> secrets, Duration tolerance, Clock clock, GuardedListener listener) {
        this.secrets = secrets;
        this.tolerance = tolerance;
        this.clock = clock;
        this.listener = listener;
    }

    /**
     * A verifier that accepts any of these secrets, with the default tolerance and the system clock.
     *
     * @throws IdempotencyConfigException if no secret is given
     */
    public static WebhookVerifier create(WebhookSecret... secrets) {
        return builder().secrets(secrets).build();
    }

    /** A builder; {@link Builder#secrets} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Verifies a delivery from its three header values and its raw body.
     *
     * @param id the {@value WebhookHeaders#ID} header value, or {@code null} if absent
     * @param timestamp the {@value WebhookHeaders#TIMESTAMP} header value, or {@code null} if absent
     * @param signature the {@value WebhookHeaders#SIGNATURE} header value, or {@code null} if absent
     * @param body the request body exactly as received
     * @return the verified id and timestamp
     * @throws WebhookVerificationException if the delivery is not authentic and current; its
     *     {@link WebhookVerificationException#reason() reason} says why
     */
    public VerifiedWebhook verify(String id, String timestamp, String signature, byte[] body) {
        return verifyAll(listOf(id), listOf(timestamp), listOf(signature), body);
    }

    /**
     * Verifies a delivery from its request headers, looked up by name ignoring case (such as
     * {@code java.net.http.HttpHeaders.map()} or Spring's {@code HttpHeaders}).
     *
     * @param headers every request header, by name, with all its values
     * @param body the request body exactly as received
     * @return the verified id and timestamp
     * @throws WebhookVerificationException if the delivery is not authentic and current, including when one of
     *     the webhook headers appears more than once
     */
    public VerifiedWebhook verify(Map<String, ? extends Collection<String>> headers, byte[] body) {
        Objects.requireNonNull(headers, "headers");
        return verifyAll(values(headers, WebhookHeaders.ID), values(headers, WebhookHeaders.TIMESTAMP),
                values(headers, WebhookHeaders.SIGNATURE), body);
    }

    /**
     * Verifies with every value each header had, so a repeated header is refused rather than half-read, and
     * reports the result to the listener.
     */
    VerifiedWebhook verifyAll(List<String> ids, List<String> timestamps, List<String> signatures, byte[] body) {
        Objects.requireNonNull(body, "body");
        VerifiedWebhook verified;
        try {
            verified = check(ids, timestamps, signatures, body);
        } catch (WebhookVerificationException e) {
            if (listener.active()) {
                listener.onWebhookVerification(new WebhookVerificationEvent(e.reason().name().toLowerCase(Locale.ROOT)));
            }
            throw e;
        }
        if (listener.active()) {
            listener.onWebhookVerification(new WebhookVerificationEvent(WebhookVerificationEvent.VERIFIED));
        }
        return verified;
    }

    private VerifiedWebhook check(List<String> ids, List<String> timestamps, List<String> signatures, byte[] body) {
        String id = single(WebhookHeaders.ID, ids);
        String timestampText = single(WebhookHeaders.TIMESTAMP, timestamps);
        String signatureHeader = single(WebhookHeaders.SIGNATURE, signatures);

        String idProblem = WebhookIds.problem(id);
        if (idProblem != null) {
            throw WebhookVerificationException.malformedId(idProblem);
        }
        long seconds = parseTimestamp(timestampText);

        List<String> candidates = new ArrayList<>();
        int otherVersions = 0;
        for (String token : signatureHeader.split(" ")) {
            if (token.isEmpty()) {
                continue;
            }
            if (token.startsWith(V1_PREFIX)) {
                candidates.add(token.substring(V1_PREFIX.length()));
            } else {
                otherVersions++;
            }
        }
        if (candidates.isEmpty()) {
            throw WebhookVerificationException.noSupportedSignature(otherVersions);
        }
        if (!matches(id, seconds, body, candidates)) {
            throw WebhookVerificationException.signatureMismatch(candidates.size(), secrets.size());
        }

        // The timestamp counts whole seconds, so it is compared with the current whole second, as the
        // specification's reference libraries do: against the exact instant, a timestamp 301 s ahead of the
        // current second would be 300.x s ahead, and a tolerance of 300 s would accept or refuse it depending
        // on the fraction of the second the clock happened to be in.
        long now = clock.instant().getEpochSecond();
        Duration distance = Duration.ofSeconds(Math.abs(now - seconds));
        if (distance.compareTo(tolerance) > 0) {
            throw seconds < now ? WebhookVerificationException.timestampTooOld(distance, tolerance)
                    : WebhookVerificationException.timestampTooNew(distance, tolerance);
        }
        return new VerifiedWebhook(id, Instant.ofEpochSecond(seconds));
    }

    /**
     * Whether any candidate equals the expected signature under any secret. Every comparison is constant-time
     * in the signature's bytes; a candidate that is not base64 simply matches nothing.
     */
    private boolean matches(String id, long seconds, byte[] body, List<String> candidates) {
        List<byte[]> decoded = new ArrayList<>(candidates.size());
        for (String candidate : candidates) {
            try {
                decoded.add(Base64.getDecoder().decode(candidate));
            } catch (IllegalArgumentException e) {
                // Not base64: cannot be a signature of ours; the others may still match.
            }
        }
        for (WebhookSecret secret : secrets) {
            byte[] expected = secret.sign(id, seconds, body);
            for (byte[] candidate : decoded) {
                if (MessageDigest.isEqual(expected, candidate)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static long parseTimestamp(String text) {
        if (text.isEmpty() || text.length() > MAX_TIMESTAMP_DIGITS) {
            throw WebhookVerificationException.malformedTimestamp();
        }
        long seconds = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw WebhookVerificationException.malformedTimestamp();
            }
            seconds = seconds * 10 + (c - '0');
        }
        return seconds;
    }

    private static String single(String header, List<String> values) {
        if (values.isEmpty()) {
            throw WebhookVerificationException.missingHeader(header);
        }
        if (values.size() > 1) {
            throw WebhookVerificationException.repeatedHeader(header, values.size());
        }
        return values.get(0);
    }

    private static List<String> listOf(String value) {
        return value == null ? List.of() : List.of(value);
    }

    private static List<String> values(Map<String, ? extends Collection<String>> headers, String name) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, ? extends Collection<String>> header : headers.entrySet()) {
            if (header.getKey() != null && header.getKey().equalsIgnoreCase(name) && header.getValue() != null) {
                values.addAll(header.getValue());
            }
        }
        return values;
    }

    /** How far the timestamp may be from now, in either direction. */
    public Duration tolerance() {
        return tolerance;
    }

    /** The number of secrets this verifier accepts. */
    public int secretCount() {
        return secrets.size();
    }

    /** Builds a {@link WebhookVerifier}. */
    public static final class Builder {

        private final SecretList secrets = new SecretList();
        private Duration tolerance = DEFAULT_TOLERANCE;
        private Clock clock = Clock.systemUTC();
        private IdempotencyListener listener = IdempotencyListener.none();

        private Builder() {
        }

        /**
         * Where each verification is reported, as a {@link WebhookVerificationEvent} whose result is
         * {@code verified} or the lower-case {@link WebhookVerificationException.Reason} (such as
         * {@code signature_mismatch}); default {@link IdempotencyListener#none()}.
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The secrets a signature may be made with, replacing any given before. At least one. */
        public Builder secrets(WebhookSecret... secrets) {
            this.secrets.replace(secrets);
            return this;
        }

        /** The secrets a signature may be made with, replacing any given before. At least one. */
        public Builder secrets(List<WebhookSecret> secrets) {
            this.secrets.replace(secrets);
            return this;
        }

        /**
         * How far a webhook's timestamp may be from now, in either direction; default
         * {@value WebhookVerifier#DEFAULT_TOLERANCE_SECONDS} seconds. A longer tolerance lets a captured
         * delivery be replayed for longer (deduplication on the id still stops it taking effect twice).
         *
         * @throws IdempotencyConfigException if the tolerance is not at least one second
         */
        public Builder tolerance(Duration tolerance) {
            Objects.requireNonNull(tolerance, "tolerance");
            if (tolerance.compareTo(Duration.ofSeconds(1)) < 0) {
                throw IdempotencyConfigException.invalid("tolerance", tolerance,
                        "a duration of at least one second (webhook timestamps are whole seconds), such as PT5M");
            }
            this.tolerance = tolerance;
            return this;
        }

        /** The clock timestamps are compared with; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The verifier.
         *
         * @throws IdempotencyConfigException if no secret was given
         */
        public WebhookVerifier build() {
            return new WebhookVerifier(secrets.required("a webhook verifier needs at least one WebhookSecret that "
                    + "signatures may be made with"), tolerance, clock, GuardedListener.of(listener));
        }
    }
}
