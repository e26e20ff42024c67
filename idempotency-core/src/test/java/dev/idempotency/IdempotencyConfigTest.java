package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The settings and their builder; reading them from properties is {@link IdempotencyPropertiesTest}'s. */
class IdempotencyConfigTest {

    private static IdempotencyConfigException refusesSetting(String setting, Executable call) {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class, call);
        assertTrue(e.getMessage().contains(setting), () -> "message should name the setting: " + e.getMessage());
        assertEquals(setting, e.setting());
        return e;
    }

    // --- defaults ---------------------------------------------------------------------------------

    @Test
    void defaultsMatchTheDocumentedValues() {
        IdempotencyConfig config = IdempotencyConfig.ofDefaults();

        assertEquals(Duration.ofHours(24), config.keyTtl());
        assertEquals(Set.of("POST", "PATCH"), config.methods());
        assertEquals(List.of("POST", "PATCH"), List.copyOf(config.methods()));
        assertTrue(config.required());
        assertEquals(ConcurrentRequestPolicy.REJECT, config.concurrent());
        assertEquals(Duration.ofSeconds(10), config.waitTimeout());
        assertEquals(Duration.ofSeconds(1), config.retryAfter());
        assertEquals(1_048_576, config.maxRequestBytes());
        assertEquals(1_048_576, config.maxResponseBytes());
        assertEquals(StoredStatuses.parse("2xx,3xx,4xx,!408,!429"), config.storedStatuses());
        assertEquals("2xx,3xx,4xx,!408,!429", config.storedStatuses().toString());
        assertEquals(List.of("Content-Type", "Location", "Content-Location", "ETag", "Last-Modified", "Link", "Content-Encoding", "Content-Language", "Allow"),
                config.replayedHeaders());
        assertEquals(Duration.ofMinutes(1), config.purgeInterval());
        assertEquals(1000, config.purgeBatchSize());
        assertEquals(ZoneOffset.UTC, config.clock().getZone());
    }

    @Test
    void defaultsCoverPostAndPatchOnly() {
        IdempotencyConfig config = IdempotencyConfig.ofDefaults();
        assertTrue(config.covers("POST"));
        assertTrue(config.covers("PATCH"));
        assertFalse(config.covers("GET"));
        assertFalse(config.covers("PUT"));
        assertFalse(config.covers("DELETE"));
    }

    @Test
    void defaultReplayedHeadersAreMatchedCaseInsensitively() {
        IdempotencyConfig config = IdempotencyConfig.ofDefaults();
        assertTrue(config.replays("content-type"));
        assertTrue(config.replays("LOCATION"));
        assertTrue(config.replays("etag"));
        assertFalse(config.replays("Set-Cookie"));
        assertFalse(config.replays("X-Request-Id"));
    }

    @Test
    void configCollectionsAreUnmodifiable() {
        IdempotencyConfig config = IdempotencyConfig.ofDefaults();
        assertThrows(UnsupportedOperationException.class, () -> config.methods().add("PUT"));
        assertThrows(UnsupportedOperationException.class, () -> config.replayedHeaders().add("X-A"));
    }

    @Test
    void builderNormalisesMethodsToUpperCase() {
        IdempotencyConfig config = IdempotencyConfig.custom().methods("post", " delete ").build();
        assertEquals(List.of("POST", "DELETE"), List.copyOf(config.methods()));
    }

    // --- builder validation -----------------------------------------------------------------------

    @Test
    void builderRefusesNullDurationsNamingTheSetting() {
        for (Map.Entry<String, Executable> call : Map.<String, Executable>of(
                "keyTtl", () -> IdempotencyConfig.custom().keyTtl(null),
                "waitTimeout", () -> IdempotencyConfig.custom().waitTimeout(null),
                "retryAfter", () -> IdempotencyConfig.custom().retryAfter(null),
                "purgeInterval", () -> IdempotencyConfig.custom().purgeInterval(null)).entrySet()) {
            RuntimeException e = assertThrows(RuntimeException.class, call.getValue(), call.getKey());
            assertTrue(e.getMessage().contains(call.getKey()), e.getMessage());
        }
    }

    @Test
    void builderRefusesZeroAndNegativeKeyTtl() {
        IdempotencyConfigException zero = refusesSetting("keyTtl", () -> IdempotencyConfig.custom().keyTtl(Duration.ZERO));
        assertTrue(zero.getMessage().contains("PT0S"), zero.getMessage());
        refusesSetting("keyTtl", () -> IdempotencyConfig.custom().keyTtl(Duration.ofSeconds(-1)));
        refusesSetting("keyTtl", () -> IdempotencyConfig.custom().keyTtl(Duration.ofDays(366)));
    }

    @Test
    void builderAcceptsKeyTtlFromOneSecondUpTo365Days() {
        assertEquals(Duration.ofDays(365), IdempotencyConfig.custom().keyTtl(Duration.ofDays(365)).build().keyTtl());
        assertEquals(Duration.ofSeconds(1), IdempotencyConfig.custom().keyTtl(Duration.ofSeconds(1)).build().keyTtl());
    }

    @Test
    void keyTtlUnderASecondIsRefused() {
        refusesSetting("keyTtl", () -> IdempotencyConfig.custom().keyTtl(Duration.ofNanos(1)));
        refusesSetting("keyTtl", () -> IdempotencyConfig.custom().keyTtl(Duration.ofMillis(999)));
    }

    @Test
    void keyTtlShorterThanTheLeaseIsRefusedNamingBothSettingsWhenLeaseModeIsUsed() {
        IdempotencyConfigException built = refusesSetting("keyTtl", () -> IdempotencyConfig.custom()
                .mode(ExecutionMode.LEASE).leaseDuration(Duration.ofMinutes(1)).keyTtl(Duration.ofSeconds(10)).build());
        assertTrue(built.getMessage().contains("leaseDuration"), built.getMessage());
    }

    @Test
    void builderRefusesBadWaitTimeout() {
        refusesSetting("waitTimeout", () -> IdempotencyConfig.custom().waitTimeout(Duration.ZERO));
        refusesSetting("waitTimeout", () -> IdempotencyConfig.custom().waitTimeout(Duration.ofMillis(-1)));
        refusesSetting("waitTimeout", () -> IdempotencyConfig.custom().waitTimeout(Duration.ofMinutes(11)));
        assertEquals(Duration.ofMinutes(10),
                IdempotencyConfig.custom().waitTimeout(Duration.ofMinutes(10)).build().waitTimeout());
    }

    @Test
    void builderRefusesRetryAfterUnderOneSecond() {
        refusesSetting("retryAfter", () -> IdempotencyConfig.custom().retryAfter(Duration.ZERO));
        refusesSetting("retryAfter", () -> IdempotencyConfig.custom().retryAfter(Duration.ofMillis(999)));
        refusesSetting("retryAfter", () -> IdempotencyConfig.custom().retryAfter(Duration.ofSeconds(-1)));
    }

    @Test
    void builderRefusesNegativePurgeIntervalButAcceptsZero() {
        refusesSetting("purgeInterval", () -> IdempotencyConfig.custom().purgeInterval(Duration.ofSeconds(-1)));
        assertEquals(Duration.ZERO, IdempotencyConfig.custom().purgeInterval(Duration.ZERO).build().purgeInterval());
    }

    @Test
    void builderRefusesBadBatchSize() {
        IdempotencyConfigException e = refusesSetting("purgeBatchSize",
                () -> IdempotencyConfig.custom().purgeBatchSize(0));
        assertTrue(e.getMessage().contains("'0'"), e.getMessage());
        refusesSetting("purgeBatchSize", () -> IdempotencyConfig.custom().purgeBatchSize(-5));
        refusesSetting("purgeBatchSize", () -> IdempotencyConfig.custom().purgeBatchSize(100_001));
        assertEquals(100_000, IdempotencyConfig.custom().purgeBatchSize(100_000).build().purgeBatchSize());
        assertEquals(1, IdempotencyConfig.custom().purgeBatchSize(1).build().purgeBatchSize());
    }

    @Test
    void builderRefusesBadBodyLimits() {
        refusesSetting("maxRequestBytes", () -> IdempotencyConfig.custom().maxRequestBytes(0));
        refusesSetting("maxRequestBytes", () -> IdempotencyConfig.custom().maxRequestBytes(-1));
        refusesSetting("maxRequestBytes", () -> IdempotencyConfig.custom().maxRequestBytes(Integer.MAX_VALUE));
        refusesSetting("maxResponseBytes", () -> IdempotencyConfig.custom().maxResponseBytes(0));
        refusesSetting("maxResponseBytes", () -> IdempotencyConfig.custom().maxResponseBytes(1L << 40));
        assertEquals(1, IdempotencyConfig.custom().maxRequestBytes(1).build().maxRequestBytes());
        assertEquals(IdempotencyConfig.MAX_BODY_LIMIT,
                IdempotencyConfig.custom().maxResponseBytes(IdempotencyConfig.MAX_BODY_LIMIT).build().maxResponseBytes());
    }

    @Test
    void builderRefusesBadMethods() {
        refusesSetting("methods", () -> IdempotencyConfig.custom().methods());
        refusesSetting("methods", () -> IdempotencyConfig.custom().methods("POST", ""));
        refusesSetting("methods", () -> IdempotencyConfig.custom().methods("PO ST"));
        assertThrows(NullPointerException.class, () -> IdempotencyConfig.custom().methods("POST", null));
    }

    @Test
    void builderRefusesNeverReplayedHeadersInAnyCase() {
        for (String header : List.of("Set-Cookie", "SET-COOKIE", "Authorization", "authorization",
                "Proxy-Authorization", "Content-Length", "WWW-Authenticate", "Cookie", "Connection")) {
            IdempotencyConfigException e = refusesSetting("replayedHeaders",
                    () -> IdempotencyConfig.custom().replayedHeaders("X-A", header));
            assertTrue(e.getMessage().contains(header), e.getMessage());
        }
    }

    @Test
    void builderRefusesInvalidHeaderNames() {
        refusesSetting("replayedHeaders", () -> IdempotencyConfig.custom().replayedHeaders(""));
        refusesSetting("replayedHeaders", () -> IdempotencyConfig.custom().replayedHeaders("X A"));
        refusesSetting("replayedHeaders", () -> IdempotencyConfig.custom().replayedHeaders("X-A:"));
    }

    @Test
    void builderRefusesNulls() {
        assertThrows(NullPointerException.class, () -> IdempotencyConfig.custom().concurrent(null));
        assertThrows(NullPointerException.class, () -> IdempotencyConfig.custom().storedStatuses(null));
        assertThrows(NullPointerException.class, () -> IdempotencyConfig.custom().clock(null));
        assertThrows(NullPointerException.class, () -> IdempotencyConfig.from(null));
    }

    @Test
    void refusedSetterLeavesTheBuilderUnchanged() {
        IdempotencyConfig.Builder builder = IdempotencyConfig.custom().keyTtl(Duration.ofHours(2));
        assertThrows(IdempotencyConfigException.class, () -> builder.keyTtl(Duration.ZERO));
        assertEquals(Duration.ofHours(2), builder.build().keyTtl());
    }

    // --- from(base) -------------------------------------------------------------------------------

    @Test
    void fromCopiesEverySetting() {
        Clock clock = Clock.fixed(Instant.parse("2024-01-01T00:00:00Z"), ZoneOffset.UTC);
        IdempotencyConfig base = IdempotencyConfig.custom()
                .keyTtl(Duration.ofHours(3))
                .methods("PUT", "POST")
                .required(false)
                .concurrent(ConcurrentRequestPolicy.WAIT)
                .waitTimeout(Duration.ofSeconds(4))
                .retryAfter(Duration.ofSeconds(7))
                .maxRequestBytes(1234)
                .maxResponseBytes(5678)
                .storedStatuses(StoredStatuses.parse("2xx,409"))
                .replayedHeaders("X-Request-Id", "X-Trace")
                .purgeInterval(Duration.ofSeconds(30))
                .purgeBatchSize(50)
                .clock(clock)
                .build();

        IdempotencyConfig copy = IdempotencyConfig.from(base).build();

        assertEquals(base.keyTtl(), copy.keyTtl());
        assertEquals(List.copyOf(base.methods()), List.copyOf(copy.methods()));
        assertEquals(base.required(), copy.required());
        assertEquals(base.concurrent(), copy.concurrent());
        assertEquals(base.waitTimeout(), copy.waitTimeout());
        assertEquals(base.retryAfter(), copy.retryAfter());
        assertEquals(base.maxRequestBytes(), copy.maxRequestBytes());
        assertEquals(base.maxResponseBytes(), copy.maxResponseBytes());
        assertEquals(base.storedStatuses(), copy.storedStatuses());
        assertEquals(base.replayedHeaders(), copy.replayedHeaders());
        assertEquals(base.purgeInterval(), copy.purgeInterval());
        assertEquals(base.purgeBatchSize(), copy.purgeBatchSize());
        assertSame(clock, copy.clock());
        assertEquals(base.toString(), copy.toString());
    }

    @Test
    void fromLetsOneSettingChangeAndKeepsTheRest() {
        IdempotencyConfig base = IdempotencyConfig.custom().keyTtl(Duration.ofHours(3)).replayedHeaders("X-A").build();
        IdempotencyConfig changed = IdempotencyConfig.from(base).required(false).build();

        assertFalse(changed.required());
        assertTrue(base.required());
        assertEquals(Duration.ofHours(3), changed.keyTtl());
        assertTrue(changed.replays("X-A"));
    }

    @Test
    void replayedHeadersDuplicatesOfDefaultsAreNotListedTwice() {
        IdempotencyConfig config = IdempotencyConfig.custom().replayedHeaders("Location", "X-A").build();
        assertEquals(List.of("Content-Type", "Location", "Content-Location", "ETag", "Last-Modified", "Link", "Content-Encoding", "Content-Language", "Allow", "X-A"),
                config.replayedHeaders());
    }
}
