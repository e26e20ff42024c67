package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar, run as users run it: {@code java -jar target/idempotency-example.jar} in a child
 * process. Runs in the {@code integration-test} phase, after {@code package} built the jar; its path
 * comes from the system property {@value #JAR_PROPERTY} set by the failsafe configuration.
 */
class ExecutableJarIT {

    static final String JAR_PROPERTY = "idempotency.example.jar";

    private static final Pattern LISTENING = Pattern.compile("Listening on (http://localhost:(\\d+))");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void destroyProcesses() throws InterruptedException {
        for (Process process : processes) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void servesAndReplaysFromTheShadedJar() throws Exception {
        Process process = java("--port", "0", "--data-dir", tmp.resolve("data").toString());
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> readLine(stdout))
                .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(line, () -> "the process ended without printing its address; stderr: " + stderr());
        Matcher listening = LISTENING.matcher(line);
        assertTrue(listening.matches(), () -> "first line '" + line + "'; stderr: " + stderr());
        assertTrue(Integer.parseInt(listening.group(2)) > 0, line);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest post = HttpRequest.newBuilder(URI.create(listening.group(1) + "/posts"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .header(PublishingApiServer.CLIENT_HEADER, "it-client")
                .POST(HttpRequest.BodyPublishers.ofString("{\"account_id\":\"it\",\"content\":\"from the jar\"}"))
                .build();
        HttpResponse<byte[]> first = http.send(post, HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> retry = http.send(post, HttpResponse.BodyHandlers.ofByteArray());

        assertEquals(201, first.statusCode(), () -> new String(first.body(), StandardCharsets.UTF_8));
        assertFalse(first.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals(201, retry.statusCode());
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElseThrow());
        assertArrayEquals(first.body(), retry.body());
        assertTrue(Files.exists(tmp.resolve("data").resolve("publishing.mv.db")), "the embedded database's file");

        // SIGTERM: the shutdown hook stops Jetty and closes the store; the JVM then exits by itself.
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
        assertEquals("", stderr().strip(), "nothing logged at the default level");
    }

    @Test
    void unknownOptionExitsWithStatusTwoAndUsage() throws Exception {
        Process process = java("--verbose");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr();
        assertTrue(err.contains("Unknown option --verbose"), err);
        assertTrue(err.contains("Usage:"), err);
    }

    @Test
    void missingValueExitsWithStatusTwo() throws Exception {
        Process process = java("--port");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        assertTrue(stderr().contains("Option --port needs a value"), stderr());
    }

    @Test
    void badKeyTtlExitsWithStatusTwoNamingOptionAndValue() throws Exception {
        Process process = java("--port", "0", "--data-dir", tmp.resolve("data").toString(), "--key-ttl", "soon");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr();
        assertTrue(err.contains("--key-ttl") && err.contains("'soon'"), err);
        assertFalse(Files.exists(tmp.resolve("data")), "nothing is created for a command line that cannot run");
    }

    private Process java(String... args) throws IOException {
        String jar = System.getProperty(JAR_PROPERTY);
        assertNotNull(jar, "system property " + JAR_PROPERTY + " (set by the failsafe configuration in the pom)");
        assertTrue(Files.isRegularFile(Path.of(jar)), "the shaded jar " + jar + " (built by mvn package)");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(tmp.toFile())
                .redirectError(tmp.resolve("stderr.txt").toFile())
                .start();
        processes.add(process);
        return process;
    }

    private String stderr() {
        try {
            Path file = tmp.resolve("stderr.txt");
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
