package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of its own running a main class of the test class path: the broker, or a relay or consumer that a test
 * kills with SIGKILL ({@link Process#destroyForcibly()} on Linux; exit status 137 = 128 + 9 proves it). Its
 * standard error goes to a file in the module's {@code target/}; its standard output is read line by line, for
 * the signals it prints.
 */
final class ChildJvm implements AutoCloseable {

    /** The exit status of a JVM killed by signal 9. */
    static final int KILLED_BY_SIGKILL = 137;

    /** Where the children's standard error goes, one file per child name. */
    static final Path LOG_DIRECTORY = Path.of("target", "child-jvm-logs");

    private static final java.util.Set<String> STARTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final String name;
    private final Process process;
    private final Path log;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The child was killed: its output ends.
            }
        }, "child-jvm-stdout-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} with {@code args}, the test class path, and {@code environment} added to this JVM's
     * (secrets go there, not on the command line).
     */
    static ChildJvm start(String name, Class<?> main, List<String> jvmOptions, List<String> args,
            Map<String, String> environment) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // C1 only and a small serial heap: the children start in half the time on a busy machine.
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        try {
            Files.createDirectories(LOG_DIRECTORY);
            Path log = LOG_DIRECTORY.resolve(name + ".log");
            // A run's first child of a name starts its file afresh; its restarts and later children add to it.
            boolean first = STARTED.add(name);
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(first
                    ? ProcessBuilder.Redirect.to(log.toFile()) : ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            return new ChildJvm(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the child JVM " + name, e);
        }
    }

    /**
     * Waits for a line of standard output starting with {@code prefix}, and returns it.
     *
     * @throws AssertionError if the child ends or the deadline passes first, with the end of its log
     */
    String awaitLine(String prefix, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                fail("The child JVM " + name + " ended (exit " + process.exitValue() + ") without printing '" + prefix
                        + "'" + logTail());
            }
        }
        return fail("The child JVM " + name + " did not print '" + prefix + "' within " + within + logTail());
    }

    /** Kills the child with SIGKILL and checks that this is what ended it. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the child JVM " + name + " ends on SIGKILL");
        assertEquals(KILLED_BY_SIGKILL, process.exitValue(), "destroyForcibly() sent SIGKILL to " + name);
    }

    /** Asks the child to stop with SIGTERM and waits up to {@code within}, then kills it. */
    void stop(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the child's standard error, for a failure message. */
    String logTail() {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\n--- last lines of " + log + " ---\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return " (no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
