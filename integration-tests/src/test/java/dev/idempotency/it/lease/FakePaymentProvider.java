package dev.idempotency.it.lease;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A downstream service that deduplicates on the idempotency key it is given, as payment providers do:
 * the same key charges once and answers the same charge again.
 */
final class FakePaymentProvider {

    private final Map<String, String> chargesByKey = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();

    /** Charges {@code amount} once per {@code idempotencyKey}; returns the charge id. */
    String charge(String idempotencyKey, long amount) {
        calls.incrementAndGet();
        return chargesByKey.computeIfAbsent(idempotencyKey, k -> "ch_" + chargesByKey.size() + "_" + amount);
    }

    /** Distinct charges made: the external effect. */
    int charges() {
        return chargesByKey.size();
    }

    /** Calls received, duplicates included. */
    int calls() {
        return calls.get();
    }
}
