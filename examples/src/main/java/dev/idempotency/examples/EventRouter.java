package dev.idempotency.examples;

import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.util.Locale;
import java.util.Objects;

/**
 * The relay's one publisher, which sends each message where its destination says: an {@code http} or
 * {@code https} URL as a signed webhook, the {@code --broker}'s destination through that broker's publisher.
 *
 * <p>An outbox has one relay and a relay one publisher, while the demo's outbox may hold both kinds: events
 * enqueued as webhooks by a run without {@code --broker} are still pending when it is restarted with one (or
 * the other way round), and go out the way they were enqueued. A destination neither publisher serves (a
 * broker's, after a restart without that broker) is rejected, so the message is dead in the outbox, to be
 * re-queued once the demo runs with that broker again.
 */
final class EventRouter implements OutboxPublisher {

    private final OutboxPublisher webhooks;
    private final EventBroker broker;

    /** @param broker the broker of {@code --broker}, or {@code null} */
    EventRouter(OutboxPublisher webhooks, EventBroker broker) {
        this.webhooks = Objects.requireNonNull(webhooks, "webhooks");
        this.broker = broker;
    }

    @Override
    public PublishResult publish(OutboxMessage message, int attempt) throws Exception {
        String destination = message.destination();
        String lower = destination.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            return webhooks.publish(message, attempt);
        }
        if (broker != null && destination.equals(broker.destination())) {
            return broker.publisher().publish(message, attempt);
        }
        return PublishResult.rejected("no publisher for destination '" + destination + "': it is neither a webhook "
                + "URL nor the destination of " + (broker == null ? "a --broker (none is given)" : broker.describe()));
    }
}
