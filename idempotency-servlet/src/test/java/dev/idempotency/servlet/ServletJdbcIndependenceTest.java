package dev.idempotency.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.store.InMemoryIdempotencyStore;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterConfig;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * idempotency-jdbc is an optional dependency of this module, for {@link IdempotencyStoreListener} alone: the
 * filter must run for applications that have another store and no JDBC library at all. So no other class may
 * refer to JDBC types, and the filter must start on a class path without them.
 */
class ServletJdbcIndependenceTest {

    private static final List<String> JDBC_ONLY = List.of("dev/idempotency/jdbc/", "com/zaxxer/", "org/flywaydb/");

    @Test
    void onlyTheStoreListenerRefersToTheJdbcStore() throws Exception {
        Map<String, byte[]> classes = mainClasses();
        assertTrue(classes.containsKey("dev/idempotency/servlet/IdempotencyFilter.class"), classes.keySet()::toString);
        assertTrue(refersTo(classes.get("dev/idempotency/servlet/IdempotencyStoreListener.class"),
                "dev/idempotency/jdbc/JdbcIdempotencyStore"), "the scan sees what the listener uses");

        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, byte[]> c : classes.entrySet()) {
            if (c.getKey().startsWith("dev/idempotency/servlet/IdempotencyStoreListener")) {
                continue;
            }
            for (String forbidden : JDBC_ONLY) {
                if (refersTo(c.getValue(), forbidden)) {
                    violations.add(c.getKey() + " refers to " + forbidden);
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void filterStartsAndServesWithoutTheJdbcStoreOnTheClassPath() throws Exception {
        // This module, the core and the servlet API, and no JDBC library, as an application with another store has.
        URL[] urls = {jarOf(IdempotencyFilter.class), jarOf(IdempotencyConfig.class), jarOf(JsonFactory.class),
                jarOf(Filter.class)};
        try (URLClassLoader application = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            Class<?> filterClass = Class.forName(IdempotencyFilter.class.getName(), true, application);
            Class<?> storeClass = Class.forName(InMemoryIdempotencyStore.class.getName(), true, application);
            Class<?> storeInterface = Class.forName(IdempotencyStore.class.getName(), true, application);
            Class<?> filterConfigClass = Class.forName(FilterConfig.class.getName(), true, application);
            Object filter = filterClass.getConstructor(storeInterface).newInstance(storeClass.getMethod("create").invoke(null));
            Object filterConfig = Proxy.newProxyInstance(application, new Class<?>[] {filterConfigClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getInitParameterNames" -> Collections.enumeration(List.of("idempotency.key-ttl"));
                        case "getInitParameter" -> "12h";
                        default -> null;
                    });

            filterClass.getMethod("init", filterConfigClass).invoke(filter, filterConfig);
            try {
                Object config = filterClass.getMethod("config").invoke(filter);
                assertEquals(Duration.ofHours(12), config.getClass().getMethod("keyTtl").invoke(config));
            } finally {
                filterClass.getMethod("destroy").invoke(filter);
            }
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("dev.idempotency.jdbc.JdbcIdempotencyStore", false, application),
                    "the class path of this test has no idempotency-jdbc");
        }
    }

    private static URL jarOf(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    /** Every compiled main class of this module, by name; read from target/classes (or the jar). */
    private static Map<String, byte[]> mainClasses() throws IOException, URISyntaxException {
        Path root = Path.of(IdempotencyFilter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, byte[]> classes = new LinkedHashMap<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                    classes.put(root.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
                }
            }
        } else {
            try (ZipFile jar = new ZipFile(root.toFile())) {
                for (ZipEntry entry : jar.stream().filter(e -> e.getName().endsWith(".class")).toList()) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        classes.put(entry.getName(), in.readAllBytes());
                    }
                }
            }
        }
        return classes;
    }

    private static boolean refersTo(byte[] classFile, String name) {
        // Class-file constant pools hold names as modified UTF-8, which is plain ASCII for these names.
        return new String(classFile, StandardCharsets.ISO_8859_1).contains(name);
    }
}
