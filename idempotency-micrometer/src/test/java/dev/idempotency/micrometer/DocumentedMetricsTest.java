package dev.idempotency.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.ExecutionMode;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.event.OutboxEvent;
import dev.idempotency.event.PurgeEvent;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.RequestOutcome;
import dev.idempotency.event.WebhookVerificationEvent;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/observability.md documents every meter and every outcome, and the Grafana dashboard in docs uses no
 * metric the library does not publish.
 */
class DocumentedMetricsTest {

    private static final Path DOCS = Path.of("..", "docs");

    /** Every meter name the binding registers, once each kind of event was seen. */
    private static Set<String> meterNames() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        IdempotencyMetrics metrics = IdempotencyMetrics.create(registry);
        metrics.onRequest(new RequestEvent(RequestOutcome.EXECUTED, ExecutionMode.TRANSACTION, Optional.empty(),
                Optional.empty(), Optional.empty()));
        metrics.onPurge(new PurgeEvent(PurgeEvent.Target.RECORDS, 1, Duration.ZERO));
        metrics.onInboxMessage(new InboxEvent(InboxEvent.Result.PROCESSED));
        metrics.onOutboxBatch(new OutboxEvent(1, 0, 0, 0, Duration.ZERO));
        metrics.onWebhookVerification(new WebhookVerificationEvent(WebhookVerificationEvent.VERIFIED));
        Set<String> names = new TreeSet<>();
        registry.getMeters().stream().map(Meter::getId).map(Meter.Id::getName).forEach(names::add);
        // The gauges need a database; their names are the binding's constants.
        names.addAll(Set.of(IdempotencyMetrics.OUTBOX_PENDING, IdempotencyMetrics.OUTBOX_OLDEST_AGE,
                IdempotencyMetrics.OUTBOX_DEAD, IdempotencyMetrics.PURGE_BACKLOG));
        return names;
    }

    @Test
    void everyMeterAndEveryOutcomeIsInTheMetricTable() throws IOException {
        String doc = Files.readString(DOCS.resolve("observability.md"));
        for (String name : meterNames()) {
            assertTrue(doc.contains("| `" + name + "` ("), "docs/observability.md has no row for " + name);
        }
        for (RequestOutcome outcome : RequestOutcome.values()) {
            assertTrue(doc.contains("`" + outcome.tag() + "`"), "docs/observability.md does not explain " + outcome.tag());
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        IdempotencyMetrics.create(registry);
        Set<String> tagKeys = new TreeSet<>();
        registry.getMeters().forEach(m -> m.getId().getTags().stream().map(Tag::getKey).forEach(tagKeys::add));
        assertEquals(Set.of("mode", "outcome", "result"), tagKeys, "the tags registered at start");
    }

    @Test
    void theDashboardUsesOnlyPublishedMetrics() throws IOException {
        String dashboard = Files.readString(DOCS.resolve("grafana").resolve("idempotency-dashboard.json"));
        Set<String> published = new TreeSet<>();
        for (String name : meterNames()) {
            String base = name.replace('.', '_');
            published.addAll(Set.of(base, base + "_total", base + "_seconds", base + "_seconds_sum",
                    base + "_seconds_count", base + "_seconds_bucket", base + "_seconds_max"));
        }
        Matcher used = Pattern.compile("idempotency_[a-z_]+").matcher(dashboard);
        int count = 0;
        while (used.find()) {
            count++;
            assertTrue(published.contains(used.group()), "the dashboard uses " + used.group() + ", which is not published");
        }
        assertTrue(count > 10, "the dashboard queries the library's metrics");
    }
}
