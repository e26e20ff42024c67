package dev.idempotency.testing;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A JVM of a test's own, on the test's class path, for the crash tests: started with a main class, watched
 * through the lines it prints on standard output, and killed with SIGKILL at the moment the test chooses. Its
 * standard error (and so its logging) goes to {@code target/child-jvm-logs/<name>.log}, never to the console;
 * a failure quotes the end of that file.
 */
public final class ChildJvm implements AutoCloseable {

    /** The exit status of a JVM killed by SIGKILL: 128 + 9. */
    public static final int KILLED_BY_SIGKILL = 137;

    /** Where the children's standard error goes, one file per name. */
    public static final Path LOG_DIRECTORY = Path.of("target", "child-jvm-logs");

    private static final Set<String> STARTED = ConcurrentHashMap.newKeySet();

    private final String name;
    private final Process process;
    private final Path log;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    /** Lines before this index were returned by {@link #awaitLine} already. */
    private int awaited;

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
                // The child was killed: its output ends here.
            }
        }, "child-jvm-stdout-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} with {@code args} on this JVM's class path, with {@code environment} added to this
     * JVM's (secrets go there, not on the command line). The child runs C1 only with the serial collector: it
     * starts in half the time on a busy machine.
     *
     * @param name names the child's log file; the first child of a name in a run starts it afresh, later ones
     *     (restarts) add to it
     */
    public static ChildJvm start(String name, Class<?> main, List<String> jvmOptions, List<String> args,
            Map<String, String> environment) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        try {
            Files.createDirectories(LOG_DIRECTORY);
            Path log = LOG_DIRECTORY.resolve(name + ".log");
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
     * Waits for the next line of standard output that starts with {@code prefix} (after the line the previous
     * call returned), and returns it.
     *
     * @throws AssertionError if the child ends or the deadline passes first, with the end of its log
     */
    public synchronized String awaitLine(String prefix, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            List<String> seen = List.copyOf(lines);
            for (int i = awaited; i < seen.size(); i++) {
                if (seen.get(i).startsWith(prefix)) {
                    awaited = i + 1;
                    return seen.get(i);
                }
            }
            if (!process.isAlive() && seen.size() == lines.size()) {
                Thread.sleep(50); // the reader may still be draining the last lines
                if (lines.size() == seen.size()) {
                    fail("The child JVM " + name + " ended (exit " + process.exitValue() + ") without printing '"
                            + prefix + "'" + logTail());
                }
            }
            if (System.nanoTime() > deadline) {
                fail("The child JVM " + name + " did not print '" + prefix + "' within " + within.toMillis() + " ms"
                        + logTail());
            }
            Thread.sleep(10);
        }
    }

    /** How many lines starting with {@code prefix} the child printed so far. */
    public long count(String prefix) {
        return lines.stream().filter(line -> line.startsWith(prefix)).count();
    }

    /** Kills the child with SIGKILL and checks that this is what ended it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the child JVM " + name + " ends on SIGKILL");
        assertEquals(KILLED_BY_SIGKILL, process.exitValue(), "destroyForcibly() sent SIGKILL to " + name);
    }

    /** Asks the child to stop with SIGTERM, waits up to {@code within}, then kills it. */
    public void stop(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Whether the child is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The child's log file (its standard error). */
    public Path log() {
        return log;
    }

    /** The last 30 lines of the child's standard error, for a failure message. */
    public String logTail() {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\n--- last lines of " + log.toAbsolutePath() + " ---\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return " (no log: " + e.getMessage() + ")";
        }
    }

    /** Kills the child if it still runs. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "ChildJvm[" + name + "]";
    }
}
