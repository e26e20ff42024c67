package dev.idempotency.rabbitmq;

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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CrashChild} in a JVM of its own, on the tests' class path, killed with SIGKILL. Its standard error goes
 * to {@code target/child-logs/<name>.log}, not to the build's console; a failure names the file and ends with its
 * last lines.
 */
final class ChildJvm implements AutoCloseable {

    /** The exit status of a JVM killed by signal 9: 128 + 9. */
    static final int KILLED_BY_SIGKILL = 137;

    private final Process process;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The process was killed: its output ends here.
            }
        }, "child-jvm-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@link CrashChild} with {@code arguments}; its standard error goes to {@code target/child-logs/name.log}. */
    static ChildJvm start(String name, List<String> arguments) throws IOException {
        Path directory = Files.createDirectories(Path.of("target", "child-logs"));
        Path log = directory.resolve(name + ".log");
        Files.deleteIfExists(log);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        for (String property : List.of("java.util.logging.config.file", "org.slf4j.simpleLogger.defaultLogLevel")) {
            if (System.getProperty(property) != null) {
                command.add("-D" + property + "=" + System.getProperty(property));
            }
        }
        command.add("-Dorg.slf4j.simpleLogger.logFile=" + log.toAbsolutePath());
        command.add(CrashChild.class.getName());
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        return new ChildJvm(process, log);
    }

    /** Waits for the child to print {@code expected}; fails with its log's tail if it does not in time or dies. */
    void await(String expected, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(50, TimeUnit.MILLISECONDS);
            if (expected.equals(line)) {
                return;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                throw new AssertionError("The child ended (status " + process.exitValue() + ") without printing "
                        + expected + tail());
            }
        }
        throw new AssertionError("The child did not print " + expected + " within " + limit + tail());
    }

    /** Kills the child with SIGKILL and waits for it to end. */
    void kill() throws Exception {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("The child did not end within 30 s of SIGKILL");
        }
        assertEquals(KILLED_BY_SIGKILL, process.exitValue(), "destroyForcibly() sent SIGKILL");
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String tail() {
        try {
            List<String> all = Files.readAllLines(log);
            return "; the last lines of " + log.toAbsolutePath() + ":\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "; its log " + log.toAbsolutePath() + " is unreadable: " + e;
        }
    }
}
