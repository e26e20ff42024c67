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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IdempotencyConfigTest {

    private static IdempotencyConfig fromProperty(String name, String value) {
        return IdempotencyConfig.fromProperties(Map.of(name, value));
    }

    private static IdempotencyConfigException refusesProperty(String name, String value) {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> fromProperty(name, value), () -> "expected " + name + "=" + value + " to be refused");
        assertTrue(e.getMessage().contains(name), () -> "message should name the property: " + e.getMessage());
        assertTrue(e.getMessage().contains("'" + value + "'"),
                () -> "message should quote the raw value: " + e.getMessage());
        assertEquals(name, e.setting());
        assertEquals(value, e.value());
        return e;
    }

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
    void emptyPropertiesGiveTheDefaults() {
        assertEquals(IdempotencyConfig.ofDefaults().toString(), IdempotencyConfig.fromProperties(Map.of()).toString());
    }

    @Test
    void configCollectionsAreUnmodifiable() {
        IdempotencyConfig config = IdempotencyConfig.ofDefaults();
        assertThrows(UnsupportedOperationException.class, () -> config.methods().add("PUT"));
        assertThrows(UnsupportedOperationException.class, () -> config.replayedHeaders().add("X-A"));
    }

    // --- fromProperties: each property ---------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"24h, PT24H", "30m, PT30M", "1500ms, PT1.5S", "7d, PT168H", "PT2H, PT2H", "pt2h, PT2H",
        "45s, PT45S", "' 12h ', PT12H", "12H, PT12H", "10 m, PT10M", "P1D, PT24H"})
    void readsDurations(String text, String iso) {
        assertEquals(Duration.parse(iso), fromProperty(IdempotencyConfig.KEY_TTL, text).keyTtl());
    }

    @Test
    void readsKeyTtl() {
        assertEquals(Duration.ofHours(12), fromProperty("idempotency.key-ttl", "12h").keyTtl());
    }

    @Test
    void readsMethodsNormalisedToUpperCase() {
        IdempotencyConfig config = fromProperty("idempotency.methods", "post, put ,Patch,,");
        assertEquals(List.of("POST", "PUT", "PATCH"), List.copyOf(config.methods()));
        assertTrue(config.covers("PUT"));
        assertFalse(config.covers("put"));
    }

    @Test
    void builderNormalisesMethodsToUpperCase() {
        IdempotencyConfig config = IdempotencyConfig.custom().methods("post", " delete ").build();
        assertEquals(List.of("POST", "DELETE"), List.copyOf(config.methods()));
    }

    @ParameterizedTest
    @CsvSource({"true, true", "false, false", "TRUE, true", "' False ', false"})
    void readsRequired(String text, boolean expected) {
        assertEquals(expected, fromProperty("idempotency.required", text).required());
    }

    @ParameterizedTest
    @CsvSource({"reject, REJECT", "wait, WAIT", "WAIT, WAIT", "' Reject ', REJECT"})
    void readsConcurrent(String text, ConcurrentRequestPolicy expected) {
        assertEquals(expected, fromProperty("idempotency.concurrent", text).concurrent());
    }

    @Test
    void readsWaitTimeout() {
        assertEquals(Duration.ofMillis(2500), fromProperty("idempotency.wait-timeout", "2500ms").waitTimeout());
    }

    @Test
    void readsRetryAfter() {
        assertEquals(Duration.ofSeconds(5), fromProperty("idempotency.retry-after", "5s").retryAfter());
    }

    @ParameterizedTest
    @CsvSource({"1048576, 1048576", "512KB, 524288", "1MB, 1048576", "1mb, 1048576", "2MiB, 2097152",
        "100b, 100", "' 64 KiB ', 65536", "1GB, 1073741824"})
    void readsSizes(String text, int expected) {
        assertEquals(expected, fromProperty("idempotency.max-request-bytes", text).maxRequestBytes());
        assertEquals(expected, fromProperty("idempotency.max-response-bytes", text).maxResponseBytes());
    }

    @Test
    void readsStoredStatuses() {
        IdempotencyConfig config = fromProperty("idempotency.stored-statuses", "2xx,409");
        assertTrue(config.storedStatuses().stores(409));
        assertFalse(config.storedStatuses().stores(404));
    }

    @Test
    void readsReplayedHeadersAddedToTheDefaults() {
        IdempotencyConfig config = fromProperty("idempotency.replayed-headers", "X-Request-Id, X-Trace");
        assertEquals(List.of("Content-Type", "Location", "Content-Location", "ETag", "Last-Modified", "Link", "Content-Encoding", "Content-Language", "Allow",
                "X-Request-Id", "X-Trace"), config.replayedHeaders());
        assertTrue(config.replays("x-request-id"));
        assertTrue(config.replays("content-type"));
    }

    @Test
    void emptyReplayedHeadersPropertyAddsNothing() {
        assertEquals(IdempotencyConfig.DEFAULT_REPLAYED_HEADERS,
                fromProperty("idempotency.replayed-headers", "").replayedHeaders());
    }

    @Test
    void readsPurgeIntervalIncludingZero() {
        assertEquals(Duration.ofMinutes(5), fromProperty("idempotency.purge-interval", "5m").purgeInterval());
        assertEquals(Duration.ZERO, fromProperty("idempotency.purge-interval", "0s").purgeInterval());
    }

    @Test
    void readsPurgeBatchSize() {
        assertEquals(250, fromProperty("idempotency.purge-batch-size", "250").purgeBatchSize());
        assertEquals(250, fromProperty("idempotency.purge-batch-size", " 250 ").purgeBatchSize());
    }

    @Test
    void readsAllPropertiesTogether() {
        Map<String, String> p = new HashMap<>();
        p.put("idempotency.key-ttl", "2h");
        p.put("idempotency.methods", "POST,PUT");
        p.put("idempotency.required", "false");
        p.put("idempotency.concurrent", "wait");
        p.put("idempotency.wait-timeout", "3s");
        p.put("idempotency.retry-after", "2s");
        p.put("idempotency.max-request-bytes", "64KB");
        p.put("idempotency.max-response-bytes", "2MB");
        p.put("idempotency.stored-statuses", "2xx");
        p.put("idempotency.replayed-headers", "X-A");
        p.put("idempotency.purge-interval", "0s");
        p.put("idempotency.purge-batch-size", "10");
        p.put("idempotency.mode", "lease");
        p.put("idempotency.lease-paths", "/payments/*, /refunds");
        p.put("idempotency.lease-duration", "45s");

        IdempotencyConfig c = IdempotencyConfig.fromProperties(p);

        assertEquals(Duration.ofHours(2), c.keyTtl());
        assertEquals(Set.of("POST", "PUT"), c.methods());
        assertFalse(c.required());
        assertEquals(ConcurrentRequestPolicy.WAIT, c.concurrent());
        assertEquals(Duration.ofSeconds(3), c.waitTimeout());
        assertEquals(Duration.ofSeconds(2), c.retryAfter());
        assertEquals(65_536, c.maxRequestBytes());
        assertEquals(2_097_152, c.maxResponseBytes());
        assertEquals(StoredStatuses.parse("2xx"), c.storedStatuses());
        assertTrue(c.replays("X-A"));
        assertEquals(Duration.ZERO, c.purgeInterval());
        assertEquals(10, c.purgeBatchSize());
        assertEquals(ExecutionMode.LEASE, c.mode());
        assertEquals(List.of("/payments/*", "/refunds"), c.leasePaths());
        assertEquals(Duration.ofSeconds(45), c.leaseDuration());
        assertEquals(15, IdempotencyConfig.PROPERTY_NAMES.size(), "a new property needs a test here");
    }

    // --- fromProperties: bad values name the property and the raw value -------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0s", "-5s", "24", "24x", "h", "1.5h", "PT", "P-1D", "PT0S", "366d", "",
        "99999999999999999999s", "9999999999999999d"})
    void refusesBadKeyTtlNamingPropertyAndValue(String value) {
        refusesProperty("idempotency.key-ttl", value);
    }

    @Test
    void zeroKeyTtlMessageShowsTheValueAsWritten() {
        IdempotencyConfigException e = refusesProperty("idempotency.key-ttl", "0s");
        assertTrue(e.getMessage().contains("'0s'"), e.getMessage());
        assertFalse(e.getMessage().contains("PT0S"), e.getMessage());
    }

    @Test
    void badDurationMessageSaysWhatIsExpected() {
        IdempotencyConfigException e = refusesProperty("idempotency.key-ttl", "abc");
        assertTrue(e.getMessage().contains("duration"), e.getMessage());
        assertTrue(e.getMessage().contains("24h"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET POST", "", " , ", "PO/ST", "POST,(x)"})
    void refusesBadMethods(String value) {
        refusesProperty("idempotency.methods", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "1", "", "on"})
    void refusesBadRequired(String value) {
        refusesProperty("idempotency.required", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"block", "", "rejected"})
    void refusesBadConcurrent(String value) {
        refusesProperty("idempotency.concurrent", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "0s", "-1s", "11m", "1h"})
    void refusesBadWaitTimeout(String value) {
        refusesProperty("idempotency.wait-timeout", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"later", "0s", "500ms", "999ms"})
    void refusesBadRetryAfter(String value) {
        refusesProperty("idempotency.retry-after", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"big", "0", "-1", "1.5MB", "1TB", "2GB", "99999999999999999999", "MB", "1 M"})
    void refusesBadRequestSize(String value) {
        refusesProperty("idempotency.max-request-bytes", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"big", "0", "-1"})
    void refusesBadResponseSize(String value) {
        refusesProperty("idempotency.max-response-bytes", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2xx,abc", "", "!429", "600", "6xx", "2xx;4xx"})
    void refusesBadStoredStatuses(String value) {
        refusesProperty("idempotency.stored-statuses", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Set-Cookie", "X-A,Authorization", "content-length", "Transfer-Encoding",
        "Idempotent-Replayed", "Bad Header", "X-A,:path"})
    void refusesForbiddenOrInvalidReplayedHeaders(String value) {
        refusesProperty("idempotency.replayed-headers", value);
    }

    @Test
    void replayedHeadersRefusalExplainsWhy() {
        IdempotencyConfigException e = refusesProperty("idempotency.replayed-headers", "X-A, Set-Cookie");
        assertTrue(e.getMessage().contains("never replayed"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-1s"})
    void refusesBadPurgeInterval(String value) {
        refusesProperty("idempotency.purge-interval", value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "abc", "1.5", "100001", ""})
    void refusesBadPurgeBatchSize(String value) {
        refusesProperty("idempotency.purge-batch-size", value);
    }

    @Test
    void refusesUnknownIdempotencyPropertyNamingIt() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> fromProperty("idempotency.keyttl", "24h"));
        assertTrue(e.getMessage().contains("idempotency.keyttl"), e.getMessage());
        assertTrue(e.getMessage().contains("'24h'"), e.getMessage());
        assertTrue(e.getMessage().contains("idempotency.key-ttl"), "should list the known properties: "
                + e.getMessage());
        assertEquals("idempotency.keyttl", e.setting());
    }

    @Test
    void ignoresPropertiesOutsideThePrefix() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("server.port", "8080");
        p.put("idempotencykey-ttl", "abc");
        p.put("other.idempotency.key-ttl", "abc");
        p.put("IDEMPOTENCY.key-ttl", "abc");
        p.put("idempotency.key-ttl", "3h");
        assertEquals(Duration.ofHours(3), IdempotencyConfig.fromProperties(p).keyTtl());
    }

    @Test
    void skipsPropertiesHandledElsewhere() {
        Map<String, String> p = Map.of("idempotency.scope", "header:X-Api-Key", "idempotency.key-ttl", "2h");

        assertThrows(IdempotencyConfigException.class, () -> IdempotencyConfig.fromProperties(p));
        IdempotencyConfig config = IdempotencyConfig.fromProperties(p, Set.of("idempotency.scope"));
        assertEquals(Duration.ofHours(2), config.keyTtl());
    }

    @Test
    void handledElsewhereAlsoSkipsKnownProperties() {
        IdempotencyConfig config = IdempotencyConfig.fromProperties(Map.of("idempotency.key-ttl", "abc"),
                Set.of("idempotency.key-ttl"));
        assertEquals(IdempotencyConfig.DEFAULT_KEY_TTL, config.keyTtl());
    }

    @Test
    void unknownPropertyMessageListsHandledElsewhereNames() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyConfig.fromProperties(Map.of("idempotency.scop", "x"), Set.of("idempotency.scope")));
        assertTrue(e.getMessage().contains("idempotency.scope"), e.getMessage());
    }

    @Test
    void nullPropertyValueIsReadAsEmpty() {
        Map<String, String> p = new HashMap<>();
        p.put("idempotency.key-ttl", null);
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyConfig.fromProperties(p));
        assertTrue(e.getMessage().contains("idempotency.key-ttl"), e.getMessage());
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
        refusesProperty("idempotency.key-ttl", "1ms");
        refusesProperty("idempotency.key-ttl", "PT0.000000001S");
    }

    @Test
    void keyTtlShorterThanTheLeaseIsRefusedNamingBothPropertiesWhenLeaseModeIsUsed() {
        IdempotencyConfigException e = refusesProperties(Map.of("idempotency.key-ttl", "2s",
                "idempotency.lease-paths", "/payments"));
        assertEquals("idempotency.key-ttl", e.setting());
        assertEquals("2s", e.value());
        assertTrue(e.getMessage().contains("idempotency.lease-duration") && e.getMessage().contains("30"),
                e.getMessage());
        IdempotencyConfigException both = refusesProperties(Map.of("idempotency.key-ttl", "10s",
                "idempotency.lease-duration", "1m", "idempotency.mode", "lease"));
        assertTrue(both.getMessage().contains("'10s'") && both.getMessage().contains("'1m'"), both.getMessage());
        IdempotencyConfigException built = refusesSetting("keyTtl", () -> IdempotencyConfig.custom()
                .mode(ExecutionMode.LEASE).leaseDuration(Duration.ofMinutes(1)).keyTtl(Duration.ofSeconds(10)).build());
        assertTrue(built.getMessage().contains("leaseDuration"), built.getMessage());
    }

    @Test
    void keyTtlShorterThanTheLeaseIsAcceptedWhenNoRequestRunsInLeaseMode() {
        assertEquals(Duration.ofSeconds(2),
                IdempotencyConfig.fromProperties(Map.of("idempotency.key-ttl", "2s")).keyTtl());
        assertEquals(Duration.ofSeconds(30), IdempotencyConfig.fromProperties(Map.of("idempotency.key-ttl", "30s",
                "idempotency.lease-paths", "/payments")).keyTtl(), "a time to live equal to the lease");
    }

    private static IdempotencyConfigException refusesProperties(Map<String, String> properties) {
        return assertThrows(IdempotencyConfigException.class, () -> IdempotencyConfig.fromProperties(properties),
                () -> "expected " + properties + " to be refused");
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
        assertThrows(NullPointerException.class, () -> IdempotencyConfig.fromProperties(null));
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

    @Test
    void refusalRenamedKeepsItsExplanationUnderTheNameTheUserGave() {
        IdempotencyConfigException invalid = refusesProperty("idempotency.key-ttl", "soon")
                .renamed("--key-ttl (idempotency.key-ttl)", "soon");
        IdempotencyConfigException missing = IdempotencyConfigException.missing("jdbcUrl", "give one")
                .renamed("context-param idempotency.jdbc.url", null);

        assertEquals("Invalid value 'soon' for --key-ttl (idempotency.key-ttl): expected a duration such as 500ms, "
                + "30s, 10m, 24h, 7d or PT24H", invalid.getMessage());
        assertEquals("--key-ttl (idempotency.key-ttl)", invalid.setting());
        assertEquals("soon", invalid.value());
        assertEquals("Missing context-param idempotency.jdbc.url: give one", missing.getMessage());
    }
}
