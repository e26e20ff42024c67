package dev.idempotency.it.lease;

import dev.idempotency.spi.RecordKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * The derived key a handler gets from {@code IdempotencyContext.derivedKey("charge")}, computed here
 * independently from its documented definition (SHA-256 of a fixed prefix, the scope, the key and the
 * purpose, URL-safe base64), so a test can act as a crashed handler.
 */
final class DerivedKeys {

    private final RecordKey key;

    DerivedKeys(RecordKey key) {
        this.key = key;
    }

    String charge() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update("idempotency-derived-key\0".getBytes(StandardCharsets.US_ASCII));
        sha.update(key.scope().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(key.key().value().getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) 0);
        sha.update("charge".getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
    }
}
