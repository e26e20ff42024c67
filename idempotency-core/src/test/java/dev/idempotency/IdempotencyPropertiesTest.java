package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where the properties are found ({@code load}) and what settings they give ({@code parse}). */
class IdempotencyPropertiesTest {

    private Properties savedSystemProperties;

    @BeforeEach
    void saveSystemProperties() {
        savedSystemProperties = (Properties) System.getProperties().clone();
        // A stray -Didempotency.* from the build would change what these tests see.
        for (String name : savedSystemProperties.stringPropertyNames()) {
            if (name.startsWith("idempotency.")) {
                System.clearProperty(name);
            }
        }
    }

    @AfterEach
    void restoreSystemProperties() {
        System.setProperties(savedSystemProperties);
    }

    private static ClassLoader testClassLoader() {
        return IdempotencyPropertiesTest.class.getClassLoader();
    }

    /** A class loader that sees only {@code dir} (and the JDK), for a controlled idempotency.properties. */
    private static URLClassLoader loaderOver(Path dir) throws IOException {
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, null);
    }

    @Test
    void readsTheClasspathFile() {
        Map<String, String> merged = IdempotencyProperties.load(testClassLoader(), Map.of());

        assertEquals("6h", merged.get("idempotency.key-ttl"));
        assertEquals("POST,PUT", merged.get("idempotency.methods"));
        assertEquals("3s", merged.get("idempotency.retry-after"));
    }

    @Test
    void keepsOnlyIdempotencyPropertiesFromTheFile() {
        Map<String, String> merged = IdempotencyProperties.load(testClassLoader(), Map.of());
        assertFalse(merged.containsKey("not-ours.setting"));
        assertTrue(merged.keySet().stream().allMatch(k -> k.startsWith("idempotency.")), merged.toString());
    }

    @Test
    void overridesWinOverTheFile() {
        Map<String, String> merged = IdempotencyProperties.load(testClassLoader(),
                Map.of("idempotency.key-ttl", "2h", "idempotency.required", "false"));

        assertEquals("2h", merged.get("idempotency.key-ttl"));
        assertEquals("false", merged.get("idempotency.required"));
        assertEquals("POST,PUT", merged.get("idempotency.methods"), "untouched file values stay");
    }

    @Test
    void systemPropertiesWinOverOverridesAndTheFile() {
        System.setProperty("idempotency.key-ttl", "30m");
        System.setProperty("idempotency.methods", "PATCH");

        Map<String, String> merged = IdempotencyProperties.load(testClassLoader(),
                Map.of("idempotency.key-ttl", "2h", "idempotency.retry-after", "5s"));

        assertEquals("30m", merged.get("idempotency.key-ttl"), "system beats override and file");
        assertEquals("PATCH", merged.get("idempotency.methods"), "system beats file");
        assertEquals("5s", merged.get("idempotency.retry-after"), "override beats file");
    }

    @Test
    void ignoresNonIdempotencyOverridesAndSystemProperties() {
        System.setProperty("idempotencyx.key-ttl", "1h");
        Map<String, String> merged = IdempotencyProperties.load(testClassLoader(), Map.of("server.port", "8080"));
        assertFalse(merged.containsKey("server.port"));
        assertFalse(merged.containsKey("idempotencyx.key-ttl"));
        assertFalse(merged.containsKey("java.version"));
    }

    @Test
    void mergedPropertiesBuildAConfig() {
        System.setProperty("idempotency.retry-after", "4s");
        IdempotencyConfig config = IdempotencyProperties.parse(
                IdempotencyProperties.load(testClassLoader(), Map.of("idempotency.key-ttl", "1h")));

        assertEquals(Duration.ofHours(1), config.keyTtl());
        assertEquals(List.of("POST", "PUT"), List.copyOf(config.methods()));
        assertEquals(Duration.ofSeconds(4), config.retryAfter());
    }

    @Test
    void withoutAFileOnlyOverridesAndSystemPropertiesCount(@TempDir Path empty) throws IOException {
        System.setProperty("idempotency.concurrent", "wait");
        try (URLClassLoader loader = loaderOver(empty)) {
            Map<String, String> merged = IdempotencyProperties.load(loader, Map.of("idempotency.key-ttl", "2h"));
            assertEquals(Map.of("idempotency.key-ttl", "2h", "idempotency.concurrent", "wait"), merged);
        }
    }

    @Test
    void readsTheFileFromTheGivenClassLoader(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("idempotency.properties"), "idempotency.key-ttl = 45m\n",
                StandardCharsets.ISO_8859_1);
        try (URLClassLoader loader = loaderOver(dir)) {
            Map<String, String> merged = IdempotencyProperties.load(loader, Map.of());
            assertEquals(Map.of("idempotency.key-ttl", "45m"), merged);
        }
    }

    @Test
    void malformedFileIsAConfigError(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("idempotency.properties"), "idempotency.key-ttl=\\uZZZZ\n",
                StandardCharsets.ISO_8859_1);
        try (URLClassLoader loader = loaderOver(dir)) {
            IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                    () -> IdempotencyProperties.load(loader, Map.of()));
            assertTrue(e.getMessage().contains("idempotency.properties"), e.getMessage());
        }
    }

    @Test
    void doesNotModifyTheOverridesMap() {
        Map<String, String> overrides = new HashMap<>(Map.of("idempotency.key-ttl", "2h"));
        System.setProperty("idempotency.key-ttl", "1h");
        IdempotencyProperties.load(testClassLoader(), overrides);
        assertEquals(Map.of("idempotency.key-ttl", "2h"), overrides);
    }

    @Test
    void refusesNullArguments() {
        assertThrows(NullPointerException.class, () -> IdempotencyProperties.load(null, Map.of()));
        assertThrows(NullPointerException.class, () -> IdempotencyProperties.load(testClassLoader(), null));
        assertThrows(NullPointerException.class, () -> IdempotencyProperties.parse(null));
        assertThrows(NullPointerException.class, () -> IdempotencyProperties.parse(Map.of(), null));
    }

    private static IdempotencyConfig fromProperty(String name, String value) {
        return IdempotencyProperties.parse(Map.of(name, value));
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

    @Test
    void emptyPropertiesGiveTheDefaults() {
        assertEquals(IdempotencyConfig.ofDefaults().toString(), IdempotencyProperties.parse(Map.of()).toString());
    }

    // --- parse: each property -------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"24h, PT24H", "30m, PT30M", "1500ms, PT1.5S", "7d, PT168H", "PT2H, PT2H", "pt2h, PT2H",
        "45s, PT45S", "' 12h ', PT12H", "12H, PT12H", "10 m, PT10M", "P1D, PT24H"})
    void readsDurations(String text, String iso) {
        assertEquals(Duration.parse(iso), fromProperty(IdempotencyProperties.KEY_TTL, text).keyTtl());
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

        IdempotencyConfig c = IdempotencyProperties.parse(p);

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
        assertEquals(16, IdempotencyProperties.NAMES.size(), "a new property needs a test here (idempotency.claim: "
                + "OptimisticClaimTest)");
    }

    // --- parse: bad values name the property and the raw value -------------------------------------

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
        assertEquals(Duration.ofHours(3), IdempotencyProperties.parse(p).keyTtl());
    }

    @Test
    void skipsPropertiesHandledElsewhere() {
        Map<String, String> p = Map.of("idempotency.scope", "header:X-Api-Key", "idempotency.key-ttl", "2h");

        assertThrows(IdempotencyConfigException.class, () -> IdempotencyProperties.parse(p));
        IdempotencyConfig config = IdempotencyProperties.parse(p, Set.of("idempotency.scope"));
        assertEquals(Duration.ofHours(2), config.keyTtl());
    }

    @Test
    void handledElsewhereAlsoSkipsKnownProperties() {
        IdempotencyConfig config = IdempotencyProperties.parse(Map.of("idempotency.key-ttl", "abc"),
                Set.of("idempotency.key-ttl"));
        assertEquals(IdempotencyConfig.DEFAULT_KEY_TTL, config.keyTtl());
    }

    @Test
    void unknownPropertyMessageListsHandledElsewhereNames() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyProperties.parse(Map.of("idempotency.scop", "x"), Set.of("idempotency.scope")));
        assertTrue(e.getMessage().contains("idempotency.scope"), e.getMessage());
    }

    @Test
    void nullPropertyValueIsReadAsEmpty() {
        Map<String, String> p = new HashMap<>();
        p.put("idempotency.key-ttl", null);
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> IdempotencyProperties.parse(p));
        assertTrue(e.getMessage().contains("idempotency.key-ttl"), e.getMessage());
    }

    @Test
    void keyTtlUnderASecondIsRefused() {
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
    }

    @Test
    void keyTtlShorterThanTheLeaseIsAcceptedWhenNoRequestRunsInLeaseMode() {
        assertEquals(Duration.ofSeconds(2),
                IdempotencyProperties.parse(Map.of("idempotency.key-ttl", "2s")).keyTtl());
        assertEquals(Duration.ofSeconds(30), IdempotencyProperties.parse(Map.of("idempotency.key-ttl", "30s",
                "idempotency.lease-paths", "/payments")).keyTtl(), "a time to live equal to the lease");
    }

    private static IdempotencyConfigException refusesProperties(Map<String, String> properties) {
        return assertThrows(IdempotencyConfigException.class, () -> IdempotencyProperties.parse(properties),
                () -> "expected " + properties + " to be refused");
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

