package dev.idempotency.it.modules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The published modules work as named modules: a small application module ({@code src/test/modular}) that
 * requires {@code dev.idempotency.servlet} and {@code dev.idempotency.jdbc} compiles against what they export
 * and runs on the module path, in a JVM of its own: the filter on Jetty, the JDBC store finding its driver
 * through the service loader and migrating its table from the module's resources, a request and its replay.
 * Reflection on the core's internal package is refused there, as the module descriptor says.
 *
 * <p>The tests of every module run on the class path; this is the test that would catch a package missing
 * from an {@code exports}, a resource folder that is not opened, or a {@code uses} clause left out.
 */
class ModulePathTest {

    /** The jars (or class folders) of the application's module path, by name, from this test's class path. */
    private static final Pattern MODULE_PATH_ENTRIES = Pattern.compile(
            "idempotency-(core|servlet|jdbc)(-[0-9][^/]*\\.jar|/target/classes)"
                    + "|(jackson-(core|databind|annotations)|HikariCP|slf4j-api|flyway-core|flyway-database-postgresql"
                    + "|flyway-mysql|commons-text|commons-lang3|h2|jakarta\\.servlet-api"
                    + "|jetty-(server|http|io|util|ee10-servlet|ee"
                    + "|session|security|jmx|util-ajax))-[0-9][^/]*\\.jar");

    private static final Path BUILD = Paths.get("target", "module-path-test");

    @Test
    void theFilterAndTheStoreRunAsNamedModules() throws Exception {
        List<String> modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> MODULE_PATH_ENTRIES.matcher(entry.replace(File.separatorChar, '/')).find())
                .filter(entry -> !entry.endsWith("-tests.jar"))
                .collect(Collectors.toList());
        Set<String> libraryModules = ModuleFinder.of(modulePath.stream().map(Paths::get).toArray(Path[]::new))
                .findAll().stream().map(reference -> reference.descriptor())
                .filter(descriptor -> !descriptor.isAutomatic()).map(descriptor -> descriptor.name())
                .filter(name -> name.startsWith("dev.idempotency")).collect(Collectors.toSet());
        assertEquals(Set.of("dev.idempotency.core", "dev.idempotency.servlet", "dev.idempotency.jdbc"), libraryModules,
                "the library's jars on the module path, each with its module descriptor: " + modulePath);

        Path classes = BUILD.resolve("classes");
        compile(modulePath, classes);
        List<String> runPath = new ArrayList<>(modulePath);
        runPath.add(classes.toString());

        Path stdout = BUILD.resolve("stdout.txt");
        Path stderr = BUILD.resolve("stderr.txt");
        Process process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", String.join(File.pathSeparator, runPath), "--add-modules", "ALL-MODULE-PATH",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "--module", "dev.idempotency.it.modular/dev.idempotency.it.modular.ModularApp")
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        boolean ended = process.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            process.destroyForcibly();
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        String report = "\nstdout:\n" + out + "\nstderr:\n" + err;
        assertTrue(ended, "the modular application did not end within 2 minutes" + report);
        assertEquals(0, process.exitValue(), "exit status" + report);
        assertEquals(List.of("attempt 1: 201 replayed=false", "attempt 2: 201 replayed=true", "rows: 1",
                "internal package: refused", "module: dev.idempotency.servlet dev.idempotency.jdbc"),
                out.lines().collect(Collectors.toList()), report);
    }

    private static void compile(List<String> modulePath, Path classes) throws IOException {
        Path sources = Paths.get("src", "test", "modular", "dev.idempotency.it.modular");
        List<String> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(path -> path.toString().endsWith(".java")).map(Path::toString)
                    .collect(Collectors.toList());
        }
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> arguments = new ArrayList<>(List.of("-d", classes.toString(), "--module-path",
                String.join(File.pathSeparator, modulePath), "-Xlint:all,-requires-automatic,-path", "-Werror"));
        arguments.addAll(files);
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        int status = javac.run(null, messages, messages, arguments.toArray(String[]::new));
        assertEquals(0, status, "the application module compiles against what the library exports (" + arguments + "):\n"
                + messages.toString(StandardCharsets.UTF_8));
    }
}
