package dev.idempotency.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import dev.idempotency.jdbc.outbox.OutboxRelay;
import dev.idempotency.jdbc.outbox.OutboxRelayConfig;
import dev.idempotency.testing.H2DatabaseExtension;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The code docs/messaging-nats.md quotes, run end to end: outbox, relay, JetStream, inbox consumer. */
class JetStreamDocumentedUsageTest {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    @RegisterExtension
    static final JetStreamExtension NATS = JetStreamExtension.create();

    @Test
    void theDocumentedSetupRelaysAMessageToJetStreamAndTheConsumerAppliesItOnce() throws Exception {
        DataSource pool = DB.dataSource();
        String natsUrl = NATS.url();
        String orders = "ORDERS_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String subjects = orders + ".>";
        Connection nats = NATS.connection();
        try (java.sql.Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE invoices (order_event VARCHAR(255) PRIMARY KEY, body VARCHAR(1000))");
        }
        try {
            // tag::nats-stream[]
            JetStreamManagement jsm = nats.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(orders).subjects(subjects)
                    .storageType(StorageType.File)
                    .duplicateWindow(Duration.ofMinutes(10))   // > the relay's lease + the publisher's timeout
                    .build());
            jsm.addOrUpdateConsumer(orders, ConsumerConfiguration.builder().durable("billing")
                    .ackPolicy(AckPolicy.Explicit)             // required: the ack comes after the commit
                    .ackWait(Duration.ofSeconds(30))           // > the handler's longest run plus its commit
                    .maxDeliver(20)                            // then JetStream gives up: MAX_DELIVERIES advisory
                    .build());
            // end::nats-stream[]

            JdbcOutbox outbox = JdbcOutbox.create(pool);
            // tag::nats-publisher[]
            JetStreamPublisher publisher = JetStreamPublisher.builder()
                    .url(natsUrl)                              // nats://user:password@host:4222, never shown
                    .timeout(Duration.ofSeconds(5))            // each publish and its ack; well below the lease
                    .expectedStream(orders)                    // optional: refuse a subject mapped elsewhere
                    .build();
            OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom()
                    .leaseDuration(Duration.ofSeconds(60))     // a crashed relay's messages come back after it
                    .build());
            relay.start();                                     // relay.close(), then publisher.close(), on shutdown
            // end::nats-publisher[]

            // tag::nats-enqueue[]
            outbox.inTransaction(() -> {                       // with the business change, in one transaction
                outbox.enqueue(OutboxMessage.of(orders + ".created", "order-42",
                        "{\"order\":42}".getBytes(StandardCharsets.UTF_8), List.of()));
                return null;
            });
            // end::nats-enqueue[]

            // tag::nats-consumer[]
            JdbcInbox inbox = JdbcInbox.create(pool);
            DataSource db = inbox.transactionalDataSource();
            JetStreamInboxConsumer consumer = JetStreamInboxConsumer.builder()
                    .url(natsUrl).stream(orders).durable("billing")
                    .inbox(inbox)
                    .handler((message, messageId) -> {         // runs once per message id, in the inbox's transaction
                        try (java.sql.Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                                "INSERT INTO invoices (order_event, body) VALUES (?, ?)")) {
                            insert.setString(1, messageId);
                            insert.setBytes(2, message.getData());
                            insert.executeUpdate();            // commits with the inbox's marker; then the ack
                        }
                    })
                    .build()
                    .start();                                  // consumer.close() on shutdown
            // end::nats-consumer[]

            try {
                JetStreamExtension.await(Duration.ofSeconds(30), "the invoice was written",
                        () -> invoices(pool) == 1 && NATS.drained(orders, "billing"));
            } finally {
                consumer.close();
                relay.close();
                publisher.close();
                inbox.close();
            }
            assertEquals(1, invoices(pool));
        } finally {
            try {
                NATS.management().deleteStream(orders);
            } catch (Exception alreadyGone) {
                // Nothing to clean up.
            }
        }
    }

    private static int invoices(DataSource pool) {
        try (java.sql.Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT COUNT(*) FROM invoices")) {
            row.next();
            return row.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
