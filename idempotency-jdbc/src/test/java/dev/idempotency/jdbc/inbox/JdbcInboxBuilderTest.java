package dev.idempotency.jdbc.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.idempotency.IdempotencyConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad settings fail when they are set, naming the setting and the value. */
class JdbcInboxBuilderTest {

    @Test
    void rejectsARetentionOutsideItsRange() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> JdbcInbox.builder().retention(Duration.ofMillis(500)));
        assertEquals("Invalid value 'PT0.5S' for retention: expected a duration from 1s to 3650d", e.getMessage());
        assertThrows(IdempotencyConfigException.class, () -> JdbcInbox.builder().retention(Duration.ofDays(3651)));
        assertThrows(IdempotencyConfigException.class, () -> JdbcInbox.builder().retention(null));
    }

    @Test
    void rejectsAPurgeIntervalOutsideItsRangeButAcceptsZero() {
        JdbcInbox.builder().purgeInterval(Duration.ZERO);
        assertThrows(IdempotencyConfigException.class, () -> JdbcInbox.builder().purgeInterval(Duration.ofMillis(10)));
        assertThrows(IdempotencyConfigException.class, () -> JdbcInbox.builder().purgeInterval(Duration.ofSeconds(-1)));
        assertThrows(IdempotencyConfigException.class, () -> JdbcInbox.builder().purgeBatchSize(0));
    }

    @Test
    void refusesToBuildWithoutADataSource() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, () -> JdbcInbox.builder().build());
        assertEquals("dataSource", e.setting());
    }

    @Test
    void storesOverlongMessageIdsAsTheirDigestAndOthersAsTheyAre() {
        assertEquals("msg_1", JdbcInbox.storedMessageId("msg_1"));
        String exactlyMax = "a".repeat(JdbcInbox.MAX_STORED_MESSAGE_ID_LENGTH);
        assertEquals(exactlyMax, JdbcInbox.storedMessageId(exactlyMax));
        String stored = JdbcInbox.storedMessageId(exactlyMax + "a");
        assertEquals(7 + 64, stored.length());
        assertEquals("sha256:", stored.substring(0, 7));
    }
}
