package dev.idempotency.testing;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyKey;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.RecordKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Values for store tests: unique scopes and keys, fingerprints, responses and claim requests, so a test
 * states only what matters to it.
 */
public final class StoreTestValues {

    /** How long records live unless a test says otherwise. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);

    private StoreTestValues() {
    }

    /** A scope no other test uses: {@code prefix} followed by a random UUID. */
    public static String uniqueScope(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return prefix + "-" + UUID.randomUUID();
    }

    /** A key no other test uses, in {@code scope}. */
    public static RecordKey uniqueKey(String scope) {
        return new RecordKey(scope, IdempotencyKey.of("key-" + UUID.randomUUID()));
    }

    /**
     * The fingerprint of a {@code POST /x} with a {@code text/plain} body.
     *
     * @param body the body bytes (empty for none)
     */
    public static RequestFingerprint fingerprint(byte[] body) {
        return RequestFingerprint.of("POST", "/x", null, "text/plain", body);
    }

    /** The fingerprint of a {@code POST /x} whose {@code text/plain} body is {@code body} in UTF-8. */
    public static RequestFingerprint fingerprint(String body) {
        return fingerprint(body.getBytes(StandardCharsets.UTF_8));
    }

    /** A response with a {@code Content-Type: text/plain; charset=utf-8} header and {@code body} in UTF-8. */
    public static StoredResponse response(int status, String body) {
        return StoredResponse.of(status, List.of(new Header("Content-Type", "text/plain; charset=utf-8")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** A response with the given headers, in order, and body bytes. */
    public static StoredResponse response(int status, byte[] body, Header... headers) {
        return StoredResponse.of(status, List.of(headers), body);
    }

    /**
     * A request to claim {@code key} at {@code now}, with the fingerprint of an empty body, whose record
     * would expire {@link #DEFAULT_TTL} later.
     */
    public static ClaimRequest claimRequest(RecordKey key, Instant now) {
        return claimRequest(key, fingerprint(new byte[0]), now, DEFAULT_TTL);
    }

    /**
     * A request to claim {@code key} at {@code now} with {@code fingerprint}, whose record would expire
     * {@code ttl} later.
     *
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    public static ClaimRequest claimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now,
            Duration ttl) {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(ttl, "ttl");
        return new ClaimRequest(key, fingerprint, now, now.plus(ttl));
    }
}
