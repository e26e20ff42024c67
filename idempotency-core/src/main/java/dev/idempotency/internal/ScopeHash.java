package dev.idempotency.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The short hash under which a scope appears in logs and events: the first 8 hex digits (32 bits) of its
 * SHA-256. Enough to tell one client's requests from another's in a log; the scope itself (a user's name, an
 * API key's hash) never leaves the store.
 */
public final class ScopeHash {

    private static final int BYTES = 4;

    private ScopeHash() {
    }

    /** The short hash of {@code scope}. */
    public static String of(String scope) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(scope.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK has no SHA-256", e);
        }
    }
}
