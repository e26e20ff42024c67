package dev.idempotency;

import dev.idempotency.spi.RecordKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * What a handler can know about the idempotent request it is running: its key, its mode, its fencing
 * token, and stable keys for downstream calls. Available as {@link #current()} on the thread running the
 * handler (and, with the servlet filter, as a request attribute).
 */
public final class IdempotencyContext {

    private static final ThreadLocal<IdempotencyContext> CURRENT = new ThreadLocal<>();

    private final RecordKey key;
    private final ExecutionMode mode;
    private final long fencingToken;

    IdempotencyContext(RecordKey key, ExecutionMode mode, long fencingToken) {
        this.key = Objects.requireNonNull(key, "key");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.fencingToken = fencingToken;
    }

    /** The context of the idempotent request running on this thread, if any. */
    public static Optional<IdempotencyContext> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** The client's key. */
    public IdempotencyKey key() {
        return key.key();
    }

    /** The mode the request runs in. */
    public ExecutionMode mode() {
        return mode;
    }

    /**
     * A number that grows each time the key is claimed again after a lease expired. A handler in lease
     * mode can pass it to its own writes (as a version guard) so a request that lost its lease cannot
     * overwrite the work of the one that took over. In transaction mode the transaction itself guards
     * the writes and the token carries no extra meaning.
     */
    public long fencingToken() {
        return fencingToken;
    }

    /**
     * A key for a downstream call, the same for every retry of this request by this client and different
     * per {@code purpose}: pass it as the downstream API's own idempotency key, so the external effect
     * happens once even when a retry runs the handler again after a crash.
     *
     * @param purpose names the downstream call, such as {@code "charge"} or {@code "send-receipt"}
     * @return 43 URL-safe base64 characters (SHA-256 of the scope, the key and the purpose)
     */
    public String derivedKey(String purpose) {
        Objects.requireNonNull(purpose, "purpose");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("idempotency-derived-key\0".getBytes(StandardCharsets.US_ASCII));
            sha.update(key.scope().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(key.key().value().getBytes(StandardCharsets.US_ASCII));
            sha.update((byte) 0);
            sha.update(purpose.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code work} with this context current on the calling thread. */
    <T> T runAsCurrent(dev.idempotency.spi.Claim.Work<T> work) throws Exception {
        IdempotencyContext previous = CURRENT.get();
        CURRENT.set(this);
        try {
            return work.run();
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    /** Retry-After counts whole seconds; a lease with 200 ms left should still say 1. */
    static Duration atLeastOneSecond(Duration d) {
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    }

    @Override
    public String toString() {
        return "IdempotencyContext[" + key + ", " + mode + ", token " + fencingToken + "]";
    }
}
