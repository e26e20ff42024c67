package dev.idempotency.springboot.app;

import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;

/**
 * The {@code metrics} profile: an outbox publisher (which makes the starter run the relay) that records what it
 * delivers, and the gate of {@link ShipmentsController}.
 */
@Configuration(proxyBeanMethods = false)
@Profile("metrics")
public class ObservabilityConfiguration {

    /** Delivers every message by remembering it. */
    public static final class RecordingPublisher implements OutboxPublisher {
        final List<OutboxMessage> delivered = new CopyOnWriteArrayList<>();

        @Override
        public PublishResult publish(OutboxMessage message, int attempt) {
            delivered.add(message);
            return PublishResult.delivered();
        }
    }

    @Bean
    RecordingPublisher recordingPublisher() {
        return new RecordingPublisher();
    }

    @Bean
    ShipmentsController.Gate shipmentGate() {
        return new ShipmentsController.Gate();
    }
}
