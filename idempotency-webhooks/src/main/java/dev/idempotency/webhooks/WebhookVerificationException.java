package dev.idempotency.webhooks;

import dev.idempotency.IdempotencyException;
import java.time.Duration;

/**
 * A request that is not an authentic, current Standard Webhooks delivery: a header is missing or malformed,
 * no signature matches, or the timestamp is outside the tolerance. The message says what to check, for the
 * person operating either end; it never contains an expected signature or a secret.
 *
 * <p>These are expected rejections, part of normal traffic on an endpoint reachable from the internet, so
 * the exception carries no stack trace.
 */
public final class WebhookVerificationException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    /** Why verification failed. */
    public enum Reason {
        /** One of the three webhook headers is absent. */
        MISSING_HEADER,
        /** A webhook header is present but not in the form the specification defines, or is repeated. */
        MALFORMED_HEADER,
        /** The signature header holds signatures, but none of version {@code v1}. */
        NO_SUPPORTED_SIGNATURE,
        /** No {@code v1} signature matches the body under any configured secret. */
        SIGNATURE_MISMATCH,
        /** The timestamp is further in the past than the tolerance allows: a replay, or a slow sender. */
        TIMESTAMP_TOO_OLD,
        /** The timestamp is further in the future than the tolerance allows: the sender's clock is ahead. */
        TIMESTAMP_TOO_NEW
    }

    /** Why verification failed. */
    private final Reason reason;

    private WebhookVerificationException(Reason reason, String message) {
        super(message, false);
        this.reason = reason;
    }

    /** Why verification failed, for code that wants to branch on it. */
    public Reason reason() {
        return reason;
    }

    static WebhookVerificationException missingHeader(String header) {
        return new WebhookVerificationException(Reason.MISSING_HEADER, "The request has no " + header
                + " header; a Standard Webhooks delivery carries " + WebhookHeaders.ID + ", "
                + WebhookHeaders.TIMESTAMP + " and " + WebhookHeaders.SIGNATURE + ".");
    }

    static WebhookVerificationException repeatedHeader(String header, int count) {
        return new WebhookVerificationException(Reason.MALFORMED_HEADER, "The request has " + count + " "
                + header + " headers; send exactly one.");
    }

    static WebhookVerificationException malformedId(String problem) {
        return new WebhookVerificationException(Reason.MALFORMED_HEADER, "The " + WebhookHeaders.ID
                + " header is not a valid webhook id: " + problem + ".");
    }

    static WebhookVerificationException malformedTimestamp() {
        return new WebhookVerificationException(Reason.MALFORMED_HEADER, "The " + WebhookHeaders.TIMESTAMP
                + " header is not a Unix time in whole seconds (1 to 12 digits, nothing else).");
    }

    static WebhookVerificationException noSupportedSignature(int otherVersions) {
        return new WebhookVerificationException(Reason.NO_SUPPORTED_SIGNATURE, "The " + WebhookHeaders.SIGNATURE
                + " header holds no v1 (HMAC-SHA256) signature" + (otherVersions > 0
                        ? " (it holds " + otherVersions + " signature(s) of other versions, which this endpoint "
                                + "does not accept)"
                        : "") + "; expected space-separated signatures of the form v1,<base64>.");
    }

    static WebhookVerificationException signatureMismatch(int candidates, int secrets) {
        return new WebhookVerificationException(Reason.SIGNATURE_MISMATCH, "None of the " + candidates
                + " v1 signature(s) in " + WebhookHeaders.SIGNATURE + " matches this request under any of the "
                + secrets + " secret(s) this endpoint accepts. Check that sender and receiver share a secret "
                + "(after a rotation, that the new secret is configured here too), and that the body is "
                + "verified exactly as received: parsing and re-serialising JSON changes the bytes.");
    }

    static WebhookVerificationException timestampTooOld(Duration age, Duration tolerance) {
        return new WebhookVerificationException(Reason.TIMESTAMP_TOO_OLD, "The " + WebhookHeaders.TIMESTAMP
                + " is " + age.getSeconds() + " seconds in the past, beyond the tolerance of "
                + tolerance.getSeconds() + " seconds: either a replay of an old delivery, or the sender's clock is "
                + "behind. Sign every delivery attempt with its own current timestamp.");
    }

    static WebhookVerificationException timestampTooNew(Duration ahead, Duration tolerance) {
        return new WebhookVerificationException(Reason.TIMESTAMP_TOO_NEW, "The " + WebhookHeaders.TIMESTAMP
                + " is " + ahead.getSeconds() + " seconds in the future, beyond the tolerance of "
                + tolerance.getSeconds() + " seconds: the sender's clock is ahead of this server's.");
    }
}
