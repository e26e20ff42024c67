package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.core.io.DefaultResourceLoader;

/**
 * The README's Spring Boot section, copied into a fresh application, compiles and works: its Java blocks and the
 * files it links to (the entity and its repository) are compiled into a package of their own with nothing else of
 * the example's code, beside a {@code @SpringBootApplication} class as Spring Boot's project generator writes one;
 * its properties are the application's only application.properties; the dependencies are this module's, which
 * the README's dependency block names. Then requests go to it over HTTP.
 *
 * <p>DocumentationSnippetsTest (integration-tests) keeps the README's blocks equal to the example's code; this test
 * reads the README itself, so it also catches a block that is not quoted from code.
 */
class ReadmeSnippetsOverHttpTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path EXAMPLE_SOURCES = ROOT.resolve("examples-spring-boot/src/main/java/dev/idempotency/examples/springboot");
    private static final List<String> LINKED_SOURCES = List.of("PurchaseOrder.java", "PurchaseOrderRepository.java");
    private static final String PACKAGE = "readme.app";
    private static final Pattern BLOCK = Pattern.compile("```(\\w+)\\n(.*?)\\n```", Pattern.DOTALL);
    private static final Pattern TYPE_NAME = Pattern.compile("public (?:class|interface|record) (\\w+)");

    @TempDir
    Path tmp;

    /** The README's section on Spring Boot: from its heading to the next heading. */
    private static String springBootSection() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        Matcher heading = Pattern.compile("(?m)^### Spring Boot.*$").matcher(readme);
        assertTrue(heading.find(), "the README has a '### Spring Boot' section");
        Matcher next = Pattern.compile("(?m)^#{2,3} ").matcher(readme);
        int end = next.find(heading.end()) ? next.start() : readme.length();
        return readme.substring(heading.start(), end);
    }

    private static List<String> blocks(String section, String language) {
        List<String> blocks = new ArrayList<>();
        Matcher block = BLOCK.matcher(section);
        while (block.find()) {
            if (block.group(1).equals(language)) {
                blocks.add(block.group(2));
            }
        }
        return blocks;
    }

    @Test
    void theReadmesSpringBootSectionCopiedIntoAFreshApplicationCompilesAndTakesEachOrderOnce() throws Exception {
        String section = springBootSection();

        List<String> xml = blocks(section, "xml");
        assertEquals(1, xml.size(), "one dependency block");
        assertEquals(1, xml.get(0).split("<dependency>", -1).length - 1, "one dependency: " + xml.get(0));
        assertTrue(xml.get(0).contains("<artifactId>idempotency-spring-boot-starter</artifactId>"), xml.get(0));

        List<String> java = blocks(section, "java");
        assertTrue(java.size() >= 2, "a controller and a service: " + java.size() + " Java blocks");
        for (String block : java) {
            assertFalse(block.contains("@Configuration") || block.contains("@Bean"),
                    "no configuration class for idempotency:\n" + block);
        }
        Path sources = Files.createDirectories(tmp.resolve("src/" + PACKAGE.replace('.', '/')));
        List<Path> files = new ArrayList<>();
        for (String block : java) {
            Matcher name = TYPE_NAME.matcher(block);
            assertTrue(name.find(), "a public type in\n" + block);
            files.add(Files.writeString(sources.resolve(name.group(1) + ".java"), "package " + PACKAGE + ";\n\n" + block));
        }
        for (String linked : LINKED_SOURCES) {
            assertTrue(section.contains("(examples-spring-boot/src/main/java/dev/idempotency/examples/springboot/"
                    + linked + ")"), "the section links " + linked);
            String source = Files.readString(EXAMPLE_SOURCES.resolve(linked))
                    .replace("package dev.idempotency.examples.springboot;", "package " + PACKAGE + ";");
            files.add(Files.writeString(sources.resolve(linked), source));
        }
        files.add(Files.writeString(sources.resolve("ReadmeApplication.java"), """
                package readme.app;

                import org.springframework.boot.SpringApplication;
                import org.springframework.boot.autoconfigure.SpringBootApplication;

                @SpringBootApplication
                public class ReadmeApplication {

                    public static void main(String[] args) {
                        SpringApplication.run(ReadmeApplication.class, args);
                    }
                }
                """));
        Path classes = compile(files);

        List<String> properties = blocks(section, "properties");
        assertEquals(1, properties.size(), "one block of application.properties");
        Path applicationProperties = Files.writeString(tmp.resolve("application.properties"), properties.get(0));

        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            // The README's lines are the only application.properties (the example's own is on the class path too).
            try (RunningApplication app = RunningApplication.start(
                    new SpringApplicationBuilder(loader.loadClass(PACKAGE + ".ReadmeApplication"))
                            .resourceLoader(new DefaultResourceLoader(loader)),
                    Map.of("spring.config.location", applicationProperties.toUri().toString()))) {
                thread.setContextClassLoader(previous);
                sendOrders(app);
            } finally {
                thread.setContextClassLoader(previous);
            }
        }
    }

    private void sendOrders(RunningApplication app) throws Exception {
        String key = UUID.randomUUID().toString();
        String order = "{\"item\":\"book\"}";
        Instant before = Instant.now();
        HttpResponse<String> first = app.post("/orders", order, "Idempotency-Key", key, "X-Api-Key", "client-a");
        assertEquals(201, first.statusCode(), first::body);
        HttpResponse<String> retry = app.post("/orders", order, "Idempotency-Key", key, "X-Api-Key", "client-a");
        assertEquals(201, retry.statusCode(), retry::body);
        assertEquals(Optional.of("true"), retry.headers().firstValue("Idempotent-Replayed"));
        assertEquals(first.body(), retry.body());
        assertEquals(422, app.post("/orders", "{\"item\":\"lamp\"}", "Idempotency-Key", key, "X-Api-Key", "client-a")
                .statusCode());
        assertEquals(400, app.post("/orders", order, "X-Api-Key", "client-a").statusCode(), "no key");
        assertEquals(400, app.post("/orders", order, "Idempotency-Key", UUID.randomUUID().toString()).statusCode(),
                "no X-Api-Key: the scope of the README's properties");
        assertEquals(200, app.get(first.headers().firstValue("Location").orElseThrow()).statusCode());
        assertEquals(1, app.ordersPlacedWith(key));

        Instant expires = app.jdbc().queryForObject(
                "SELECT expires_at FROM idempotency_record WHERE idempotency_key = ?", Timestamp.class, key).toInstant();
        Duration ttl = Duration.between(before, expires);
        assertTrue(ttl.compareTo(Duration.ofHours(12).minusMinutes(1)) > 0 && ttl.compareTo(Duration.ofHours(12).plusMinutes(1)) < 0,
                () -> "the README's idempotency.key-ttl=12h is the stored record's time to live, not " + ttl);
    }

    /** Compiles {@code files} against this test's class path, as Spring Boot's parent compiles: with -parameters. */
    private Path compile(List<Path> files) throws Exception {
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "a JDK's compiler");
        StringWriter diagnostics = new StringWriter();
        try (StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, null)) {
            Iterable<? extends JavaFileObject> units = fileManager.getJavaFileObjectsFromPaths(files);
            List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", classes.toString(),
                    "-parameters", "-proc:none", "--release", "17", "-Xlint:all", "-Werror");
            boolean compiled = compiler.getTask(diagnostics, fileManager, null, options, null, units).call();
            assertTrue(compiled, () -> "the README's code compiles:\n" + diagnostics + "\nclass path: "
                    + System.getProperty("java.class.path").replace(File.pathSeparator, "\n"));
        }
        return classes;
    }
}
