package dev.idempotency.kafka;

import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A consumer in a JVM of its own, to be killed at a chosen point: it applies records through the inbox of the
 * database its environment names (one row in the effects table per record applied), and at the {@code killAt}th
 * record it prints {@code KILL-POINT <message id>} and holds its polling thread,
 * <ul>
 * <li>in mode {@code after-commit}: once that record's transaction committed and before its offset is
 * committed (the inbox's listener runs after the commit);</li>
 * <li>in mode {@code before-commit}: inside the handler, after its write and before the commit.</li>
 * </ul>
 * The test kills it there with SIGKILL.
 *
 * <p>Arguments: the bootstrap servers, the topic, the group, the mode, the record to hold at.
 */
public final class ConsumerChild {

    private ConsumerChild() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrapServers = args[0];
        String topic = args[1];
        String group = args[2];
        boolean afterCommit = args[3].equals("after-commit");
        int killAt = Integer.parseInt(args[4]);
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger applied = new AtomicInteger();
        String[] current = new String[1];
        JdbcInbox inbox = JdbcInbox.builder().dataSource(ChildDatabase.open(4)).migrate(false)
                .purgeInterval(Duration.ZERO).listener(new IdempotencyListener() {
                    @Override
                    public void onInboxMessage(InboxEvent event) {
                        if (afterCommit && event.result() == InboxEvent.Result.PROCESSED
                                && applied.incrementAndGet() == killAt) {
                            hold(current[0], never);
                        }
                    }
                }).build();
        AtomicInteger handled = new AtomicInteger();
        KafkaInboxConsumer consumer = KafkaInboxConsumer.builder(inbox).bootstrapServers(bootstrapServers)
                .groupId(group).topics(topic).consumerProperty("session.timeout.ms", 1500)
                .consumerProperty("heartbeat.interval.ms", 300)
                .handler((record, messageId) -> {
                    current[0] = messageId;
                    Effects.insert(inbox.transactionalDataSource(), group, messageId, Records.text(record.key()));
                    if (!afterCommit && handled.incrementAndGet() == killAt) {
                        hold(messageId, never);
                    }
                }).build();
        consumer.start();
        never.await();
    }

    private static void hold(String messageId, CountDownLatch never) {
        System.out.println("KILL-POINT " + messageId);
        System.out.flush();
        try {
            never.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
