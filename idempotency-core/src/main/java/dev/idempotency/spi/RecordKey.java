package dev.idempotency.spi;

import dev.idempotency.IdempotencyKey;
import java.util.Objects;

/**
 * Where a record lives: the client's scope and its key. Keys of different scopes never meet, so one
 * client cannot read, block or overwrite another's outcome by guessing its key.
 *
 * @param scope who the client is, as a {@code ScopeResolver} named it; 1 to {@value #MAX_SCOPE_LENGTH}
 *     characters
 * @param key the client's idempotency key
 */
public record RecordKey(String scope, IdempotencyKey key) {

    /** The longest scope a store must accept. */
    public static final int MAX_SCOPE_LENGTH = 512;

    public RecordKey {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(key, "key");
        if (scope.isEmpty() || scope.length() > MAX_SCOPE_LENGTH) {
            throw new IllegalArgumentException("A scope is 1 to " + MAX_SCOPE_LENGTH + " characters, not "
                    + scope.length());
        }
    }

    @Override
    public String toString() {
        return scope + "/" + key;
    }
}
