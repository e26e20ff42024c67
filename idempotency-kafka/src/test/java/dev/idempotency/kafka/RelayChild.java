package dev.idempotency.kafka;

import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxPublisher;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.jdbc.outbox.PublishResult;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A relay in a JVM of its own, to be killed between publishing and marking: it relays the outbox of the
 * database its environment names to Kafka until {@code killAfter} messages were acknowledged by the broker, then
 * prints {@code KILL-POINT <message id>} and holds every publisher thread, so the batches in flight are published
 * and never marked. The test kills it there with SIGKILL.
 *
 * <p>Arguments: the bootstrap servers, the number of messages to publish before holding.
 */
public final class RelayChild {

    private RelayChild() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrapServers = args[0];
        int killAfter = Integer.parseInt(args[1]);
        JdbcOutbox outbox = JdbcOutbox.builder().dataSource(ChildDatabase.open(10)).migrate(false).build();
        KafkaOutboxPublisher kafka = KafkaOutboxPublisher.builder().bootstrapServers(bootstrapServers)
                .timeout(Duration.ofSeconds(5)).build();
        AtomicInteger delivered = new AtomicInteger();
        CountDownLatch never = new CountDownLatch(1);
        OutboxPublisher holdingAfterTheKillPoint = (message, attempt) -> {
            PublishResult result = kafka.publish(message, attempt);
            if (result instanceof PublishResult.Delivered) {
                int count = delivered.incrementAndGet();
                if (count == killAfter) {
                    System.out.println("KILL-POINT " + message.id());
                    System.out.flush();
                }
                if (count >= killAfter) {
                    never.await();
                }
            }
            return result;
        };
        outbox.relay(holdingAfterTheKillPoint, OutboxRelayConfig.custom().batchSize(100).publishConcurrency(8)
                .leaseDuration(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).build()).start();
        never.await();
    }
}
