package dev.idempotency.adapter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.idempotency.Idempotency;
import dev.idempotency.InvalidIdempotencyKeyException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An RFC 9457 problem detail that the library answers with instead of running the handler. Served as
 * {@code application/problem+json}; {@link #retryAfter()} becomes a {@code Retry-After} header.
 *
 * <p>The {@code type} URIs are stable identifiers, one per kind of problem, for clients that want to
 * branch on them; {@code detail} is for people and may change between releases.
 */
public final class Problem {

    /** The media type of the serialised form. */
    public static final String MEDIA_TYPE = "application/problem+json";

    private static final String TYPE_PREFIX = "urn:idempotency:problem:";
    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private final int status;
    private final String type;
    private final String title;
    private final String detail;
    private final Duration retryAfter;

    private Problem(int status, String code, String title, String detail, Duration retryAfter) {
        this.status = status;
        this.type = TYPE_PREFIX + code;
        this.title = title;
        this.detail = detail;
        this.retryAfter = retryAfter;
    }

    /**
     * A problem of a part of the library other than the Idempotency-Key protocol, such as the webhook
     * receiver's {@code webhook-*} problems, in the same {@code type} scheme and served by the same writer as
     * the protocol's own.
     *
     * @param status the HTTP status, 400 to 599
     * @param name the end of the {@code type}, {@code urn:idempotency:problem:<name>}: lower-case letters and
     *     digits in words joined by single hyphens, such as {@code webhook-id-reused}
     * @param title a short summary, the same for every problem of this name
     * @param detail what happened and what to do, for a person
     * @param retryAfter how long the client should wait before retrying, sent as {@code Retry-After}; or
     *     {@code null} when a retry is not what helps
     * @throws IllegalArgumentException if the status is not 400 to 599 or the name is not of that form
     */
    public static Problem of(int status, String name, String title, String detail, Duration retryAfter) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(detail, "detail");
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("A problem's status is a client or server error, 400 to 599; got "
                    + status + " for " + name);
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("A problem's name is lower-case letters and digits in words joined by "
                    + "single hyphens, such as webhook-id-reused; got '" + name + "'");
        }
        return new Problem(status, name, title, detail, retryAfter);
    }

    /** 400: a covered request without an {@code Idempotency-Key} while keys are required. */
    public static Problem missingKey(String method) {
        return new Problem(400, "missing-key", "Idempotency-Key required",
                method + " requests to this endpoint must carry an Idempotency-Key header, for example "
                        + "Idempotency-Key: \"<a new UUID per logical operation>\"; reuse the same key when "
                        + "retrying the same operation.", null);
    }

    /** 400: more than one {@code Idempotency-Key} header. */
    public static Problem multipleKeys(int count) {
        return new Problem(400, "multiple-keys", "More than one Idempotency-Key",
                "The request has " + count + " Idempotency-Key headers; send exactly one.", null);
    }

    /** 400: an invalid key; {@code reason} comes from {@link InvalidIdempotencyKeyException}. */
    public static Problem invalidKey(String reason) {
        return new Problem(400, "invalid-key", "Invalid Idempotency-Key", reason, null);
    }

    /**
     * 400: the client's scope (who is asking) could not be determined.
     *
     * @param source where the scope was looked for, such as "the X-Api-Key header"
     */
    public static Problem scopeUnresolved(String source) {
        return new Problem(400, "scope-unresolved", "Client not identified",
                "This request carries an Idempotency-Key, but the client it belongs to could not be "
                        + "identified from " + source + ". Keys are kept per client, so the request was not run; "
                        + "send it with its client credentials.", null);
    }

    /** 400: a body that says it is JSON and is not. */
    public static Problem malformedBody(String reason) {
        return new Problem(400, "malformed-body", "Malformed request body", reason, null);
    }

    /** 413: a body over {@code idempotency.max-request-bytes}. */
    public static Problem bodyTooLarge(RequestBodyTooLargeException e) {
        return new Problem(413, "body-too-large", "Request body too large",
                e.getMessage() + " (idempotency.max-request-bytes); the request was not run.", null);
    }

    /** 422: the key was used before with a different request. */
    public static Problem keyReused() {
        return new Problem(422, "key-reused", "Idempotency-Key reused",
                "This Idempotency-Key was already used for a different request (another method, path, query "
                        + "or body). Use a new key for a new operation, or resend the original request exactly "
                        + "to get its stored response.", null);
    }

    /** 409: a request with the same key is still being processed. */
    public static Problem inProgress(Duration retryAfter) {
        return new Problem(409, "in-progress", "Request in progress",
                "A request with this Idempotency-Key is still being processed. Retry after "
                        + seconds(retryAfter) + " second(s) to get its outcome.", retryAfter);
    }

    /**
     * 409: a lease-mode request ran past its lease, another request with the same key took over, and this
     * request's outcome was not stored. The other request's outcome is the one that counts.
     */
    public static Problem leaseLost(Duration retryAfter) {
        return new Problem(409, "lease-lost", "Request superseded",
                "This request's lease ran out before it finished (its renewals did not reach the database in "
                        + "time, after a stall or an outage) and another request with the same Idempotency-Key took "
                        + "over, so this request's outcome was not stored. Retry after " + seconds(retryAfter)
                        + " second(s) to get the outcome that counts.", retryAfter);
    }

    /** 500: the handler's response was too large to store, so its effects were rolled back. */
    public static Problem responseTooLarge(long limit) {
        return new Problem(500, "response-too-large", "Response too large to store",
                "The response exceeded idempotency.max-response-bytes (" + limit + " bytes), so it could not "
                        + "be stored for retries; the request's effects were rolled back and nothing happened. "
                        + "The server's limit needs raising for this endpoint.", null);
    }

    /** 503: the store could not be reached; nothing happened and a retry with the same key will run. */
    public static Problem storeUnavailable(Duration retryAfter) {
        return new Problem(503, "store-unavailable", "Service temporarily unavailable",
                "The idempotency store could not be reached, so the request was not run or its effects "
                        + "were rolled back. Retry with the same Idempotency-Key after " + seconds(retryAfter)
                        + " second(s).", retryAfter);
    }

    /**
     * 503: the key's record was written with a fingerprint version this release does not know (a newer
     * release wrote it during a rolling upgrade), so whether this is the same request cannot be judged.
     */
    public static Problem unknownFingerprintVersion(int version, Duration retryAfter) {
        return new Problem(503, "fingerprint-version-unknown", "Service temporarily unavailable",
                "This Idempotency-Key's record was written by a newer server release (fingerprint version "
                        + version + "); retry after " + seconds(retryAfter) + " second(s).", retryAfter);
    }

    /**
     * 503: in lease mode, the handler ran but its outcome could not be stored. Unlike transaction mode,
     * nothing was rolled back: effects outside the database may have happened, and a retry runs the
     * handler again once the key is free.
     */
    public static Problem leaseOutcomeNotStored(Duration retryAfter) {
        return new Problem(503, "outcome-not-stored", "Service temporarily unavailable",
                "The request ran, but its outcome could not be stored. Retry with the same Idempotency-Key after "
                        + seconds(retryAfter) + " second(s): it runs again, and calls it made with keys derived from "
                        + "the Idempotency-Key are deduplicated by the services that received them.", retryAfter);
    }

    /** 500: the store failed in a way a retry is not expected to fix. */
    public static Problem storeFailure() {
        return new Problem(500, "store-failure", "Internal server error",
                "The outcome could not be stored, so the request's effects were rolled back and nothing "
                        + "happened. The server log has the cause.", null);
    }

    /** Whole seconds, rounded up, at least 1; never overflows (Duration.toMillis would). */
    private static long seconds(Duration d) {
        long whole = d.getSeconds();
        if (d.getNano() > 0 && whole < Long.MAX_VALUE) {
            whole++;
        }
        return Math.max(1, whole);
    }

    public int status() {
        return status;
    }

    /** A stable URI naming the kind of problem, such as {@code urn:idempotency:problem:key-reused}. */
    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    /** The human-readable explanation. */
    public String detail() {
        return detail;
    }

    /** How long the client should wait before retrying, when it should. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /** The {@code Retry-After} header value (whole seconds, at least 1), when there is one. */
    public Optional<String> retryAfterHeader() {
        return retryAfter().map(d -> Long.toString(seconds(d)));
    }

    /**
     * The RFC 9457 JSON document.
     *
     * @param instance the request path, or {@code null} to leave {@code instance} out
     */
    public byte[] toJson(String instance) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + detail.length());
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("type", type);
            json.writeStringField("title", title);
            json.writeNumberField("status", status);
            json.writeStringField("detail", detail);
            if (instance != null) {
                json.writeStringField("instance", instance);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    public String toString() {
        return status + " " + type + ": " + detail;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Problem other && status == other.status && type.equals(other.type)
                && detail.equals(other.detail) && Objects.equals(retryAfter, other.retryAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, type, detail);
    }
}
