package dev.idempotency.examples;

import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.kafka.KafkaInboxConsumer;
import dev.idempotency.kafka.KafkaOutboxPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * {@code --broker kafka://host:port}: Kafka. The demo creates, when missing, a topic {@code <name>.post-published}
 * (one partition: the demo's consumer is one, and one partition keeps every account's order) and the
 * consumer group's dead-letter topic, {@code <group>.dead-letter}; the group is {@code <name>}. Both with the
 * cluster's default replication factor. Events are enqueued to that topic.
 */
final class KafkaEventBroker extends EventBroker {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private KafkaOutboxPublisher publisher;
    private KafkaInboxConsumer consumer;

    KafkaEventBroker(BrokerUri uri, String name, boolean temporary) {
        super(uri, name, temporary);
    }

    private String topic() {
        return name() + ".post-published";
    }

    private String group() {
        return name();
    }

    private List<String> topics() {
        return List.of(topic(), group() + KafkaInboxConsumer.DEAD_LETTER_SUFFIX);
    }

    @Override
    String destination() {
        return topic();
    }

    @Override
    String describe() {
        return "Kafka at " + uri() + ", topic " + topic() + ", consumer group " + group();
    }

    private Admin admin() {
        // Kafka refuses an API timeout shorter than a request's: each request gets half of it.
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, uri().bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis() / 2,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis()));
    }

    @Override
    void declare() throws Exception {
        try (Admin admin = admin()) {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : topics()) {
                if (!existing.contains(topic)) {
                    missing.add(new NewTopic(topic, Optional.of(1), Optional.empty()));
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    synchronized OutboxPublisher publisher() {
        if (publisher == null) {
            publisher = KafkaOutboxPublisher.builder().bootstrapServers(uri().bootstrapServers()).timeout(TIMEOUT).build();
        }
        return publisher;
    }

    @Override
    synchronized void startConsumer(JdbcInbox inbox, Handler handler) {
        consumer = KafkaInboxConsumer.builder(inbox)
                .bootstrapServers(uri().bootstrapServers())
                .groupId(group())
                .inboxConsumer(INBOX_CONSUMER)
                .topics(topic())
                .handler((record, messageId) -> handler.handle(messageId, record.value()))
                .build()
                .start();
    }

    @Override
    void delete() throws Exception {
        try (Admin admin = admin()) {
            admin.deleteTopics(topics()).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            admin.deleteConsumerGroups(List.of(group())).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    synchronized void closeClients() {
        try {
            if (consumer != null) {
                consumer.close();
            }
        } finally {
            if (publisher != null) {
                publisher.close();
            }
        }
    }
}
