package dev.idempotency.jdbc.internal;

import dev.idempotency.spi.RecordKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.UUID;

/**
 * The primary key of a record: the first {@value #BYTES} bytes of SHA-256 over the scope in UTF-8, a zero byte
 * and the key. A key is visible ASCII, so the last zero byte always ends the scope and no two (scope, key) pairs
 * hash the same input.
 *
 * <p>Sixteen bytes, not 32: the digest only has to keep apart keys that exist at once. Two records of one
 * scope colliding by chance takes about 2<sup>64</sup> keys; a client that wanted to reach another scope's
 * record would need a second preimage of that record's digest, about 2<sup>128</sup> attempts. A fixed 16-byte
 * key makes the primary key's index entries a quarter of what scope and key took (on PostgreSQL the digest is
 * a {@code uuid}, its only fixed-width 16-byte type).
 *
 * <p>The migration V6 computes the same digest in SQL for the records stored before it; a change here is a
 * change of the stored format and needs a migration of its own.
 */
public final class KeyDigest {

    /** The digest's length. */
    public static final int BYTES = 16;

    private KeyDigest() {
    }

    /** The digest of {@code key}. */
    public static byte[] of(RecordKey key) {
        MessageDigest sha = sha256();
        sha.update(key.scope().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(key.key().value().getBytes(StandardCharsets.US_ASCII));
        return Arrays.copyOf(sha.digest(), BYTES);
    }

    /** The digest of {@code key} as a {@link UUID}: its bytes, most significant first. */
    static UUID uuidOf(RecordKey key) {
        ByteBuffer bytes = ByteBuffer.wrap(of(key));
        return new UUID(bytes.getLong(), bytes.getLong());
    }

    /** A new SHA-256 digest. */
    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }
}
