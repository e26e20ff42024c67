/**
 * An opt-in local cache of completed outcomes in front of any idempotency store:
 * {@link dev.idempotency.caffeine.ReplayCache}, on Caffeine.
 */
module dev.idempotency.caffeine {
    requires transitive dev.idempotency.core;
    requires com.github.benmanes.caffeine;

    exports dev.idempotency.caffeine;
}
