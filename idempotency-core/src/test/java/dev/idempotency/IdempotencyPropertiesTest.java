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
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        IdempotencyConfig config = IdempotencyConfig.fromProperties(
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
    }
}
