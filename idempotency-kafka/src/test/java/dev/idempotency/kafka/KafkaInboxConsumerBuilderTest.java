package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.testing.H2DatabaseExtension;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The consumer's builder: what it requires, what it refuses, and that no property value is ever shown. */
class KafkaInboxConsumerBuilderTest {

    @RegisterExtension
    static final H2DatabaseExtension DB = H2DatabaseExtension.create();

    private static JdbcInbox inbox;

    @BeforeAll
    static void createInbox() {
        inbox = JdbcInbox.create(DB.dataSource());
    }

    @AfterAll
    static void closeInbox() {
        inbox.close();
    }

    private static KafkaInboxConsumer.Builder complete() {
        return KafkaInboxConsumer.builder(inbox).bootstrapServers("127.0.0.1:9092").groupId("billing")
                .topics("orders").handler((record, messageId) -> { });
    }

    @Test
    void everyRequiredSettingIsNamedWhenMissing() {
        assertRefused("bootstrapServers", () -> KafkaInboxConsumer.builder(inbox).groupId("g").topics("t")
                .handler((r, id) -> { }).build());
        assertRefused("groupId", () -> KafkaInboxConsumer.builder(inbox).bootstrapServers("h:1").topics("t")
                .handler((r, id) -> { }).build());
        assertRefused("topics", () -> KafkaInboxConsumer.builder(inbox).bootstrapServers("h:1").groupId("g")
                .handler((r, id) -> { }).build());
        assertRefused("handler", () -> KafkaInboxConsumer.builder(inbox).bootstrapServers("h:1").groupId("g")
                .topics("t").build());
    }

    @Test
    void settingsThatWouldBreakTheGuaranteesAreRefusedNamingThem() {
        assertRefused("enable.auto.commit", () -> complete().consumerProperty("enable.auto.commit", true));
        assertRefused("enable.auto.commit", () -> complete().property("enable.auto.commit", true));
        assertRefused("group.id", () -> complete().consumerProperty("group.id", "other"));
        assertRefused("value.deserializer", () -> complete().consumerProperty("value.deserializer", "x"));
        assertRefused("acks", () -> complete().property("acks", "0"));
        assertRefused("enable.idempotence", () -> complete().property("enable.idempotence", false));
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheValue() {
        assertRefused("maxAttempts", () -> complete().maxAttempts(0));
        assertRefused("retryBackoff", () -> complete().retryBackoff(Duration.ZERO));
        assertRefused("timeout", () -> complete().timeout(Duration.ofMillis(5)));
        assertRefused("topics", () -> complete().topics("not a topic"));
        assertRefused("deadLetterTopic", () -> complete().deadLetterTopic(".."));
        assertRefused("maxRetryBackoff", () -> complete().retryBackoff(Duration.ofMinutes(2)).build());
    }

    @Test
    void neitherErrorsNorToStringShowAPropertyValue() {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" "
                + "password=\"s3cret-value\";";
        KafkaInboxConsumer consumer = complete().property("sasl.jaas.config", jaas).build();
        assertFalse(consumer.toString().contains("s3cret-value"), consumer.toString());
        assertTrue(consumer.toString().contains("billing.dead-letter"), consumer.toString());
        IdempotencyConfigException refused = assertThrows(IdempotencyConfigException.class,
                () -> complete().consumerProperty("enable.auto.commit", "s3cret-value"));
        assertFalse(refused.getMessage().contains("s3cret-value"), refused.getMessage());
        consumer.close();
    }

    private static void assertRefused(String setting, Supplier<Object> build) {
        IdempotencyConfigException refused = assertThrows(IdempotencyConfigException.class, build::get);
        assertTrue(refused.getMessage().contains(setting), refused.getMessage());
    }
}
