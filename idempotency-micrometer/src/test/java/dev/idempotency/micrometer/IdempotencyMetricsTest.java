package dev.idempotency.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ExecutionMode;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.event.OutboxEvent;
import dev.idempotency.event.PurgeEvent;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.RequestOutcome;
import dev.idempotency.event.WebhookVerificationEvent;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Each event moves exactly its meters, by exactly its amount, under the documented names and tags. */
class IdempotencyMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final IdempotencyMetrics metrics = IdempotencyMetrics.create(registry);

    private double requests(String outcome, String mode) {
        return registry.get(IdempotencyMetrics.REQUESTS).tag("outcome", outcome).tag("mode", mode).counter().count();
    }

    private double totalRequests() {
        return registry.get(IdempotencyMetrics.REQUESTS).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    @Test
    void everyOutcomeAndModeIsRegisteredAtZero() {
        int pairs = RequestOutcome.values().length * ExecutionMode.values().length;
        assertEquals(pairs, registry.get(IdempotencyMetrics.REQUESTS).counters().size());
        assertEquals(0.0, totalRequests());
        assertEquals(0.0, requests("store_unavailable", "lease"));
    }

    @Test
    void aRequestCountsOnceAndTimesItsClaimAndItsOutcomeWrite() {
        metrics.onRequest(new RequestEvent(RequestOutcome.EXECUTED, ExecutionMode.TRANSACTION,
                Optional.of(Duration.ofMillis(3)), Optional.of(Duration.ofMillis(7)), Optional.of("0a1b2c3d")));

        assertEquals(1.0, requests("executed", "transaction"));
        assertEquals(1.0, totalRequests());
        var claim = registry.get(IdempotencyMetrics.CLAIM).tag("mode", "transaction").timer();
        assertEquals(1, claim.count());
        assertEquals(3.0, claim.totalTime(TimeUnit.MILLISECONDS), 0.001);
        var complete = registry.get(IdempotencyMetrics.COMPLETE).tag("mode", "transaction").timer();
        assertEquals(1, complete.count());
        assertEquals(7.0, complete.totalTime(TimeUnit.MILLISECONDS), 0.001);
    }

    @Test
    void aRefusalBeforeTheClaimTimesNothing() {
        metrics.onRequest(new RequestEvent(RequestOutcome.MISSING_KEY, ExecutionMode.LEASE, Optional.empty(),
                Optional.empty(), Optional.empty()));

        assertEquals(1.0, requests("missing_key", "lease"));
        assertEquals(0, registry.get(IdempotencyMetrics.CLAIM).timers().stream().mapToLong(t -> t.count()).sum());
    }

    @Test
    void outboxBatchesCountPublishedAndFailuresByResult() {
        metrics.onOutboxBatch(new OutboxEvent(5, 2, 1, 3, Duration.ofMillis(12)));

        assertEquals(5.0, registry.get(IdempotencyMetrics.OUTBOX_PUBLISHED).counter().count());
        assertEquals(2.0, registry.get(IdempotencyMetrics.OUTBOX_FAILURES).tag("result", "retry").counter().count());
        assertEquals(1.0, registry.get(IdempotencyMetrics.OUTBOX_FAILURES).tag("result", "dead").counter().count());
    }

    @Test
    void inboxWebhookAndPurgeEventsCountByTheirClosedTags() {
        metrics.onInboxMessage(new InboxEvent(InboxEvent.Result.PROCESSED));
        metrics.onInboxMessage(new InboxEvent(InboxEvent.Result.DUPLICATE));
        metrics.onInboxMessage(new InboxEvent(InboxEvent.Result.DUPLICATE));
        metrics.onWebhookVerification(new WebhookVerificationEvent("verified"));
        metrics.onWebhookVerification(new WebhookVerificationEvent("signature_mismatch"));
        metrics.onPurge(new PurgeEvent(PurgeEvent.Target.RECORDS, 40, Duration.ofMillis(5)));
        metrics.onPurge(new PurgeEvent(PurgeEvent.Target.RECORDS, 2, Duration.ofMillis(5)));

        assertEquals(1.0, registry.get(IdempotencyMetrics.INBOX_MESSAGES).tag("result", "processed").counter().count());
        assertEquals(2.0, registry.get(IdempotencyMetrics.INBOX_MESSAGES).tag("result", "duplicate").counter().count());
        assertEquals(1.0, registry.get(IdempotencyMetrics.WEBHOOK_VERIFICATIONS).tag("result", "verified").counter()
                .count());
        assertEquals(1.0, registry.get(IdempotencyMetrics.WEBHOOK_VERIFICATIONS).tag("result", "signature_mismatch")
                .counter().count());
        assertEquals(42.0, registry.get(IdempotencyMetrics.PURGE_DELETED).tag("target", "records").counter().count());
    }

    @Test
    void noMeterNameOrTagStrays() {
        metrics.onRequest(new RequestEvent(RequestOutcome.REPLAYED, ExecutionMode.TRANSACTION,
                Optional.of(Duration.ofMillis(1)), Optional.empty(), Optional.of("0a1b2c3d")));
        for (Meter meter : registry.getMeters()) {
            assertTrue(meter.getId().getName().matches("idempotency(\\.[a-z]+)+"), meter.getId().getName());
            meter.getId().getTags().forEach(tag -> {
                assertTrue(tag.getKey().matches("outcome|mode|result|target"), tag.getKey());
                assertTrue(!tag.getValue().equals("0a1b2c3d"), "the scope hash is not a tag: " + meter.getId());
            });
        }
    }

    @Test
    void aMissingRegistryIsRefused() {
        assertThrows(NullPointerException.class, () -> IdempotencyMetrics.create(null));
    }
}
