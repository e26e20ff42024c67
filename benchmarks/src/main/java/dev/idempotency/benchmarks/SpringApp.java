package dev.idempotency.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Spring Boot example ({@code examples-spring-boot}) as a child JVM: its executable jar run with
 * {@code java -jar} on a port of its own, everything it prints going to a log file. {@link #close()} stops it
 * (SIGTERM, then SIGKILL), and a shutdown hook stops it too if the benchmark ends any other way, so no
 * application outlives the run.
 */
final class SpringApp implements AutoCloseable {

    /** The command that builds the jar, as the failure for a missing jar says. */
    static final String BUILD_COMMAND = "mvn -B -q -pl benchmarks,examples-spring-boot -am package -DskipTests";

    private static final Duration START_DEADLINE = Duration.ofSeconds(180);
    private static final Pattern STARTED = Pattern.compile("Tomcat started on port (\\d+)");

    private final String name;
    private final Process process;
    private final Path log;
    private final int port;
    private final Thread reaper;

    private SpringApp(String name, Process process, Path log, int port, Thread reaper) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.port = port;
        this.reaper = reaper;
    }

    /**
     * The example's executable jar, next to the benchmarks' jar in the build's tree.
     *
     * @throws SetupFailure if it is not there, naming the command that builds it
     */
    static Path jar() {
        Path benchmarks = Path.of(System.getProperty("user.dir"));
        try {
            Path ownJar = Path.of(SpringApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // benchmarks/target/benchmarks.jar: the project's root is two levels up.
            benchmarks = ownJar.getParent().getParent().getParent();
        } catch (Exception e) {
            // run from somewhere else: look under the working directory
        }
        Path jar = benchmarks.resolve("examples-spring-boot/target")
                .resolve("idempotency-examples-spring-boot-0.1.0-SNAPSHOT.jar");
        if (!Files.isRegularFile(jar)) {
            throw new SetupFailure("The Spring Boot example's executable jar is missing (" + jar + "): build it with "
                    + BUILD_COMMAND, null);
        }
        return jar;
    }

    /**
     * Starts {@code java [jvmOptions] -jar jar --server.port=0 [arguments]}, its output to {@code log}, and
     * waits until Tomcat listens.
     *
     * @throws IllegalStateException if it ends or does not listen within three minutes, with the end of its log
     */
    static SpringApp start(String name, Path jar, List<String> jvmOptions, List<String> arguments, Path log)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "--server.port=0", "--spring.main.banner-mode=off"));
        command.addAll(arguments);
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(log);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        Thread reaper = new Thread(process::destroyForcibly, "stop " + name);
        Runtime.getRuntime().addShutdownHook(reaper);
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        while (true) {
            Matcher started = STARTED.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (started.find()) {
                return new SpringApp(name, process, log, Integer.parseInt(started.group(1)), reaper);
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("The Spring Boot example (" + name + ") "
                        + (process.isAlive() ? "did not start within " + START_DEADLINE.toSeconds() + " s"
                                : "ended while starting") + "; the end of its log " + log + ":\n" + tail(log));
            }
            Thread.sleep(100);
        }
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** Fails loudly, with the end of its log, if the application has ended. */
    void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException("The Spring Boot example (" + name + ") ended with status "
                    + process.exitValue() + "; the end of its log " + log + ":\n" + tail(log));
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Stops the application: SIGTERM (Spring's graceful shutdown), SIGKILL after 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs, and finds the process gone
        }
    }
}
