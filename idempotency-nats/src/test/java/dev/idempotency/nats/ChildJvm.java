package dev.idempotency.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link JetStreamCrashChild} in a JVM of its own, on this test's class path: its standard output read line by
 * line, its standard error appended to a file in {@code target/crash-children/}, killed with SIGKILL.
 */
final class ChildJvm implements AutoCloseable {

    /** The exit status of a JVM killed by signal 9: 128 + 9. */
    static final int KILLED_BY_SIGKILL = 137;

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The process died: what it printed is all there is.
            }
        }, "child-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code JetStreamCrashChild args} with the database in its environment. */
    static ChildJvm start(String logName, Map<String, String> environment, String... args) throws IOException {
        Path logs = Path.of("target", "crash-children");
        Files.createDirectories(logs);
        Path stderr = logs.resolve(logName + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", System.getProperty("java.class.path")));
        String julConfig = System.getProperty("java.util.logging.config.file");
        if (julConfig != null) {
            command.add("-Djava.util.logging.config.file=" + julConfig);
        }
        command.add("-Dorg.slf4j.simpleLogger.logFile=" + stderr.toAbsolutePath());
        command.add(JetStreamCrashChild.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
        builder.environment().putAll(environment);
        return new ChildJvm(builder.start(), stderr);
    }

    /** Waits until the child printed a line starting with {@code prefix}, and returns it. */
    String awaitLine(String prefix, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            for (String line : lines) {
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("The child JVM ended (exit " + process.exitValue() + ") before printing '"
                        + prefix + "'; see " + stderr.toAbsolutePath() + ". It printed: " + lines);
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("The child JVM did not print '" + prefix + "' within " + deadline.toSeconds()
                        + " s; see " + stderr.toAbsolutePath() + ". It printed: " + lines);
            }
            Thread.sleep(10);
        }
    }

    /** How many lines starting with {@code prefix} the child printed. */
    long count(String prefix) {
        return lines.stream().filter(line -> line.startsWith(prefix)).count();
    }

    /** Kills the child with SIGKILL and checks that that is how it ended. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("The child JVM did not die on SIGKILL");
        }
        assertEquals(KILLED_BY_SIGKILL, process.exitValue(), "destroyForcibly() sent SIGKILL");
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
