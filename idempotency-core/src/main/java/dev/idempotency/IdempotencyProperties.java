package dev.idempotency;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Collects {@code idempotency.*} properties from the places an application keeps its settings, in rising
 * order of precedence: the classpath file {@value #FILE}, then the given overrides (a filter's init
 * parameters, say), then JVM system properties ({@code -Didempotency.key-ttl=12h}).
 */
public final class IdempotencyProperties {

    /** The classpath resource read first. */
    public static final String FILE = "idempotency.properties";

    private IdempotencyProperties() {
    }

    /**
     * The merged {@code idempotency.*} properties.
     *
     * @param classLoader where to look for {@value #FILE}
     * @param overrides entries that win over the file and lose to system properties
     * @throws IdempotencyConfigException if the file exists and cannot be read
     */
    public static Map<String, String> load(ClassLoader classLoader, Map<String, String> overrides) {
        Objects.requireNonNull(classLoader, "classLoader");
        Objects.requireNonNull(overrides, "overrides");
        Map<String, String> merged = new LinkedHashMap<>();
        URL file = classLoader.getResource(FILE);
        if (file != null) {
            Properties fromFile = new Properties();
            try (InputStream in = file.openStream()) {
                fromFile.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + file, e);
            } catch (IllegalArgumentException e) {
                throw IdempotencyConfigException.invalid(FILE, file, "a readable properties file (" + e.getMessage() + ")");
            }
            fromFile.stringPropertyNames().stream().filter(IdempotencyProperties::ours)
                    .forEach(name -> merged.put(name, fromFile.getProperty(name)));
        }
        overrides.forEach((name, value) -> {
            if (ours(name)) {
                merged.put(name, value);
            }
        });
        Properties system = System.getProperties();
        system.stringPropertyNames().stream().filter(IdempotencyProperties::ours)
                .forEach(name -> merged.put(name, system.getProperty(name)));
        return merged;
    }

    private static boolean ours(String name) {
        return name.startsWith(IdempotencyConfig.PROPERTY_PREFIX);
    }
}
