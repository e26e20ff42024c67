package dev.idempotency.examples.springboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The example's executable jar (spring-boot-maven-plugin's repackage, {@value #JAR_PROPERTY}) run as separate JVMs,
 * as it runs in production: {@code java -jar}. Everything they print goes to one file per test under
 * {@value #LOGS_PROPERTY} (the module's {@code target/child-logs}), not to the build's console; when the test fails,
 * the file's last {@value #TAIL_LINES} lines are added to the failure, so the report shows what the application
 * said. Processes a test leaves running are killed after it.
 *
 * <p>Register it as a field: {@code @RegisterExtension final ExampleJar example = new ExampleJar();}.
 */
final class ExampleJar implements BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler {

    static final String JAR_PROPERTY = "idempotency.example.jar";
    static final String LOGS_PROPERTY = "idempotency.example.logs";
    static final int TAIL_LINES = 40;
    /** The exit status of a JVM killed by signal 9: 128 + 9. SIGTERM would give 143 and run the shutdown hooks. */
    static final int KILLED_BY_SIGKILL = 137;

    private static final Duration START_DEADLINE = Duration.ofSeconds(120);
    private static final Pattern STARTED = Pattern.compile("Tomcat started on port (\\d+)");

    private final List<Process> processes = new ArrayList<>();
    private Path output;

    /** A running application: its process, its address, and where its output starts in the test's file. */
    record Started(Process process, URI base, long outputOffset) {
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        String directory = System.getProperty(LOGS_PROPERTY);
        assertNotNull(directory, "system property " + LOGS_PROPERTY + " (set by the failsafe configuration)");
        Path folder = Files.createDirectories(Path.of(directory));
        output = folder.resolve(context.getRequiredTestClass().getSimpleName() + "."
                + context.getRequiredTestMethod().getName() + ".log");
        // A test run again starts with an empty file: what it holds is this run's.
        Files.deleteIfExists(output);
        Files.createFile(output);
    }

    /**
     * Starts {@code java -jar} on the example with Spring Boot's command-line {@code arguments}, and waits until
     * Tomcat listens (on the port it reports, so give {@code --server.port=0}).
     */
    Started start(List<String> arguments) throws IOException, InterruptedException {
        String jar = System.getProperty(JAR_PROPERTY);
        assertNotNull(jar, "system property " + JAR_PROPERTY + " (set by the failsafe configuration)");
        assertTrue(Files.isRegularFile(Path.of(jar)), "the executable jar " + jar + " (built by mvn package)");
        long offset = Files.size(output);
        // C1 only: the application starts in half the time on a busy machine, and the JIT tier changes no behaviour.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-jar", jar));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
        processes.add(process);
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        while (true) {
            Matcher started = STARTED.matcher(outputSince(offset));
            if (started.find()) {
                return new Started(process, URI.create("http://127.0.0.1:" + started.group(1)), offset);
            }
            assertTrue(process.isAlive(), () -> "the application ended while starting, exit status "
                    + process.exitValue() + ":\n" + tail());
            assertTrue(System.nanoTime() < deadline, () -> "the application did not start within " + START_DEADLINE
                    + ":\n" + tail());
            Thread.sleep(50);
        }
    }

    /**
     * Kills {@code started} with SIGKILL ({@link Process#destroyForcibly()}, which on Linux sends signal 9), and
     * checks that this is what ended it.
     */
    void kill(Started started) throws InterruptedException {
        started.process().destroyForcibly();
        assertTrue(started.process().waitFor(30, TimeUnit.SECONDS), () -> "the application dies on SIGKILL:\n" + tail());
        assertEquals(KILLED_BY_SIGKILL, started.process().exitValue(), "destroyForcibly() sent SIGKILL");
    }

    /** Stops {@code started} with SIGTERM, Spring Boot's graceful shutdown, and waits for it. */
    void stop(Started started) throws InterruptedException {
        started.process().destroy();
        assertTrue(started.process().waitFor(60, TimeUnit.SECONDS), () -> "the application stops on SIGTERM:\n" + tail());
    }

    /** What the test's applications printed from {@code offset} (a {@link Started#outputOffset()}) on. */
    String outputSince(long offset) {
        try (InputStream in = Files.newInputStream(output)) {
            in.skipNBytes(offset);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + output + " unreadable: " + e + ")";
        }
    }

    /** The last {@value #TAIL_LINES} lines the test's applications printed, and where the rest is. */
    String tail() {
        List<String> lines = outputSince(0).lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
        return "last " + tail.size() + " of " + lines.size() + " lines of " + output + ":\n" + String.join("\n", tail);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        if (output != null && Files.size(output) > 0) {
            failure.addSuppressed(new Tail("the application's output, " + tail()));
        }
        throw failure;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (Process process : processes) {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
        processes.clear();
    }

    /** Carries the tail into the failure's report; its own stack trace would say nothing. */
    private static final class Tail extends Exception {

        private static final long serialVersionUID = 1L;

        Tail(String message) {
            super(message, null, false, false);
        }
    }
}
