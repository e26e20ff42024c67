package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/** The core must stay usable without JDBC and without a servlet container. */
class CoreIndependenceTest {

    private static final List<String> FORBIDDEN = List.of("java/sql/", "javax/sql/", "jakarta/servlet/",
            "javax/servlet/");

    /** Every compiled main class of this module, by name; read from target/classes (or the jar). */
    private static Map<String, byte[]> mainClasses() throws IOException, URISyntaxException {
        URL location = Idempotency.class.getProtectionDomain().getCodeSource().getLocation();
        Path root = Path.of(location.toURI());
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

    private static boolean contains(byte[] haystack, String needle) {
        // Class-file constant pools hold names as modified UTF-8, which is plain ASCII for these strings.
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void scansTheMainClassesNotTheTestClasses() throws Exception {
        Map<String, byte[]> classes = mainClasses();

        assertTrue(classes.containsKey("dev/idempotency/Idempotency.class"), classes.keySet().toString());
        assertTrue(classes.containsKey("dev/idempotency/store/InMemoryIdempotencyStore.class"));
        assertTrue(classes.containsKey("dev/idempotency/internal/CanonicalJson.class"));
        assertFalse(classes.containsKey("dev/idempotency/CoreIndependenceTest.class"));
        assertTrue(classes.size() >= 30, "found only " + classes.size() + " classes");
    }

    @Test
    void scannerFindsReferencedPackages() throws Exception {
        // A positive control: the same scan must see packages the core does use.
        byte[] config = mainClasses().get("dev/idempotency/IdempotencyConfig.class");
        assertTrue(contains(config, "java/time/Duration"));
        assertTrue(contains(mainClasses().get("dev/idempotency/internal/CanonicalJson.class"),
                "com/fasterxml/jackson/core/"));
        assertFalse(contains(config, "java/sql/"));
    }

    @Test
    void noMainClassReferencesJdbcOrServletTypes() throws Exception {
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, byte[]> c : mainClasses().entrySet()) {
            for (String forbidden : FORBIDDEN) {
                if (contains(c.getValue(), forbidden)) {
                    violations.add(c.getKey() + " references " + forbidden);
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
