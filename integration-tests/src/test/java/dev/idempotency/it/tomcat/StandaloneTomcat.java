package dev.idempotency.it.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Tomcat distribution as users run it: {@code bin/catalina.sh run} in a child process, with its own
 * {@code CATALINA_BASE} (the distribution's {@code conf}, a free HTTP port, no shutdown port, its own
 * {@code lib}, {@code logs} and {@code webapps}). Everything it prints goes to {@code console.log} in that
 * base, beside Tomcat's own log files; failures quote the end of them.
 */
final class StandaloneTomcat implements AutoCloseable {

    /** The system property naming the unpacked distribution, set by this module's pom. */
    static final String HOME_PROPERTY = "it.tomcat-home";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final Path base;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private Duration startedIn;

    private StandaloneTomcat(Path base, int port) {
        this.base = base;
        this.port = port;
    }

    /**
     * A fresh {@code CATALINA_BASE} in {@code base} (emptied first), not started yet.
     *
     * @param systemProperties set for Tomcat's JVM, through {@code conf/catalina.properties}
     */
    static StandaloneTomcat prepare(Path base, Map<String, String> systemProperties) throws IOException {
        String home = System.getProperty(HOME_PROPERTY);
        assertNotNull(home, "system property " + HOME_PROPERTY + " (set by integration-tests/pom.xml)");
        Path catalinaHome = Path.of(home);
        assertTrue(Files.isRegularFile(catalinaHome.resolve("bin/catalina.sh")),
                "the Tomcat distribution unpacked by the build in " + catalinaHome);
        deleteRecursively(base);
        for (String dir : List.of("conf", "lib", "logs", "temp", "webapps", "work")) {
            Files.createDirectories(base.resolve(dir));
        }
        try (Stream<Path> conf = Files.list(catalinaHome.resolve("conf"))) {
            for (Path file : conf.filter(Files::isRegularFile).toList()) {
                Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
            }
        }
        int port = freePort();
        Path serverXml = base.resolve("conf/server.xml");
        String server = Files.readString(serverXml);
        String shutdownPort = "<Server port=\"8005\" shutdown=\"SHUTDOWN\">";
        String httpConnector = "<Connector port=\"8080\" protocol=\"HTTP/1.1\"";
        assertTrue(server.contains(shutdownPort) && server.contains(httpConnector),
                "the distribution's server.xml has its usual ports: " + serverXml);
        // No shutdown port: the test stops Tomcat as a service manager does, with SIGTERM.
        Files.writeString(serverXml, server.replace(shutdownPort, "<Server port=\"-1\" shutdown=\"SHUTDOWN\">")
                .replace(httpConnector, "<Connector port=\"" + port + "\" address=\"127.0.0.1\" protocol=\"HTTP/1.1\""));
        StringBuilder properties = new StringBuilder("\n# Set by the test\n");
        systemProperties.forEach((name, value) -> properties.append(name).append('=')
                .append(value.replace("\\", "\\\\")).append('\n'));
        Files.writeString(base.resolve("conf/catalina.properties"), properties, StandardOpenOption.APPEND);
        return new StandaloneTomcat(base, port);
    }

    /** The {@code CATALINA_BASE}: put the application in {@code webapps} and shared jars in {@code lib}. */
    Path base() {
        return base;
    }

    /** The jars of Tomcat's own class path: the distribution's {@code lib} and this base's. */
    List<String> sharedJars() throws IOException {
        List<String> jars = new ArrayList<>();
        for (Path lib : List.of(Path.of(System.getProperty(HOME_PROPERTY), "lib"), base.resolve("lib"))) {
            try (Stream<Path> files = Files.list(lib)) {
                files.map(p -> p.getFileName().toString()).forEach(jars::add);
            }
        }
        return jars;
    }

    /** The address of the HTTP connector. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** How long it took from starting the process to the first answer of the application. */
    Duration startedIn() {
        return startedIn;
    }

    /**
     * Starts Tomcat and waits until {@code readyPath} answers {@code readyStatus}: the application is deployed
     * and serving. Fails, quoting the logs, if Tomcat exits, finishes starting without the application, or
     * takes longer than {@link #START_TIMEOUT}.
     */
    void start(String readyPath, int readyStatus) throws IOException, InterruptedException {
        Path catalinaHome = Path.of(System.getProperty(HOME_PROPERTY));
        ProcessBuilder builder = new ProcessBuilder("sh", catalinaHome.resolve("bin/catalina.sh").toString(), "run")
                .redirectErrorStream(true)
                .redirectOutput(base.resolve("console.log").toFile());
        Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(name -> name.startsWith("CATALINA_") || name.equals("JAVA_OPTS")
                || name.equals("JRE_HOME"));
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        environment.put("CATALINA_HOME", catalinaHome.toString());
        environment.put("CATALINA_BASE", base.toString());
        environment.put("CATALINA_TMPDIR", base.resolve("temp").toString());
        long started = System.nanoTime();
        process = builder.start();
        long deadline = started + START_TIMEOUT.toNanos();
        while (true) {
            Integer status = get(readyPath);
            if (status != null && status == readyStatus) {
                startedIn = Duration.ofNanos(System.nanoTime() - started);
                return;
            }
            if (!process.isAlive()) {
                fail("Tomcat exited with status " + process.exitValue() + " before the application answered\n" + logTail());
            }
            if (status != null && logs().contains("Server startup in")) {
                fail("Tomcat started, but " + readyPath + " answers " + status + ", not " + readyStatus
                        + ": the application did not deploy\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                fail("Tomcat did not serve " + readyPath + " within " + START_TIMEOUT + "\n" + logTail());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Stops Tomcat with SIGTERM, as a service manager does, and asserts that it stopped: its shutdown hook
     * stops the applications (the filter, then the listener) before the JVM exits.
     */
    void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("Tomcat did not stop within " + STOP_TIMEOUT + " of SIGTERM\n" + logTail());
        }
        assertTrue(logs().contains("Stopping service [Catalina]"), "Tomcat stopped its service\n" + logTail());
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Everything Tomcat logged so far: the console and each log file. */
    String logs() {
        StringBuilder all = new StringBuilder();
        for (Path file : logFiles()) {
            try {
                all.append(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                all.append("(").append(file).append(" unreadable: ").append(e).append(")\n");
            }
        }
        return all.toString();
    }

    /** The last lines of each log, for a failure message. */
    String logTail() {
        StringBuilder tail = new StringBuilder();
        for (Path file : logFiles()) {
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                tail.append("---- ").append(file).append(" (last lines) ----\n");
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(l -> tail.append(l).append('\n'));
            } catch (IOException e) {
                tail.append("(").append(file).append(" unreadable: ").append(e).append(")\n");
            }
        }
        return tail.toString();
    }

    private List<Path> logFiles() {
        List<Path> files = new ArrayList<>();
        files.add(base.resolve("console.log"));
        try (Stream<Path> logs = Files.list(base.resolve("logs"))) {
            logs.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files.stream().filter(Files::isRegularFile).toList();
    }

    private Integer get(String path) throws InterruptedException {
        try {
            HttpRequest request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).GET().build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            // Not listening yet, or the connector is coming up: try again.
            return null;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Asserts a status with the logs in the message, so a failing request explains itself. */
    void assertStatus(int expected, HttpResponse<String> response) {
        assertEquals(expected, response.statusCode(), () -> response.body() + "\n" + logTail());
    }
}
