package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.MariaDbDatabaseExtension;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar, run as users run it: {@code java -jar target/idempotency-example.jar} in a child
 * process, serving, and with {@code --round-trip}. Runs in the {@code integration-test} phase, after {@code package} built the jar; its path
 * comes from the system property {@value #JAR_PROPERTY} set by the failsafe configuration.
 */
class ExecutableJarIT {

    static final String JAR_PROPERTY = "idempotency.example.jar";

    private static final Pattern LISTENING = Pattern.compile("Listening on (http://127\\.0\\.0\\.1:(\\d+))");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /** A database of this class's own on the MariaDB server of {@code IDEMPOTENCY_TEST_MARIADB_URL}. */
    @RegisterExtension
    static final MariaDbDatabaseExtension MARIADB = MariaDbDatabaseExtension.create();

    @TempDir
    Path tmp;

    @RegisterExtension
    final DemoStderr stderr = new DemoStderr();

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
        assertNotNull(line, () -> "the process ended without printing its address; stderr: " + stderr.text());
        Matcher listening = LISTENING.matcher(line);
        assertTrue(listening.matches(), () -> "first line '" + line + "'; stderr: " + stderr.text());
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
        assertEquals("", stderr.text().strip(), "nothing logged at the default level");
    }

    @Test
    void theClientCommandShowsExactlyOnceThroughItsChaosProxyAgainstTheRunningDemo() throws Exception {
        Process demo = java("--port", "0", "--data-dir", tmp.resolve("data").toString());
        BufferedReader stdout = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> readLine(stdout))
                .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        Matcher listening = LISTENING.matcher(String.valueOf(line));
        assertTrue(listening.matches(), () -> "first line '" + line + "'; stderr: " + stderr.text());

        // The README's command, with fewer calls.
        Process client = java("client", "--url", listening.group(1), "--calls", "300", "--chaos");
        assertTrue(client.waitFor(120, TimeUnit.SECONDS), "the client command ends by itself");
        String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, client.exitValue(), () -> out + stderr.text());
        assertTrue(out.contains("LEDGER client (one key per call) through a chaos proxy: calls=300 effects=300 lost=0 "
                + "duplicated=0"), out);
        assertTrue(out.contains("Exactly once"), out);
        assertEquals("", stderr.text().strip(), "nothing logged at the default level");
    }

    @Test
    void roundTripShowsEveryStepAndExitsZero() throws Exception {
        Path javaTmp = Files.createDirectory(tmp.resolve("java-tmp"));
        Process process = java(List.of("-Djava.io.tmpdir=" + javaTmp), "--round-trip");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the round trip ends by itself");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), () -> out + stderr.text());
        List<String> lines = out.lines().toList();
        String id = "(msg_[0-9a-f]{32})";
        List<Pattern> expected = List.of(
                Pattern.compile("Round trip on http://127\\.0\\.0\\.1:\\d+, on a temporary embedded database:"),
                Pattern.compile("1\\. POST /posts \\(Idempotency-Key [0-9a-f-]{36}\\) -> 201 /posts/1"),
                Pattern.compile("2\\. the same POST again -> 201 replayed \\(Idempotent-Replayed: true\\); still 1 post, "
                        + "so no second event"),
                Pattern.compile("3\\. outbox relayed post\\.published " + id + " as a signed webhook to "
                        + "/webhooks/post-published -> 200, \\d+ ms after the post"),
                Pattern.compile("4\\. receiver verified webhook " + id + " and recorded it once \\(GET "
                        + "/webhooks/received\\?post_id=1: 1 receipt\\)"),
                Pattern.compile("5\\. redelivery of " + id + " \\(same webhook-id and body, signed again as a retry "
                        + "is\\) -> 204 duplicate \\(Webhook-Duplicate: true\\); still 1 receipt"),
                Pattern.compile("6\\. tampered signature \\(webhook " + id + "\\) -> 401 webhook-signature-mismatch; "
                        + "nothing recorded"),
                Pattern.compile("Round trip OK: .*"));
        assertEquals(expected.size(), lines.size(), out);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            Matcher line = expected.get(i).matcher(lines.get(i));
            assertTrue(line.matches(), "line " + (i + 1) + ": " + lines.get(i));
            if (line.groupCount() == 1) {
                ids.add(line.group(1));
            }
        }
        assertEquals(4, ids.size(), ids.toString());
        assertEquals(1, ids.subList(0, 3).stream().distinct().count(), "steps 3 to 5 are about one webhook: " + ids);
        assertFalse(ids.get(3).equals(ids.get(0)), "the tampered webhook has an id of its own");
        assertEquals("", stderr.text().strip(), "nothing logged at the default level");
        try (Stream<Path> left = Files.list(javaTmp)) {
            assertEquals(List.of(), left.toList(), "the temporary database is deleted");
        }
    }

    /**
     * {@code --round-trip} on MariaDB from the shaded jar, which carries both drivers: first through MariaDB
     * Connector/J on a new database (the library's migrations and the demo's run, and log nothing), then
     * through MySQL Connector/J on the same one.
     */
    @Test
    void theRoundTripRunsOnMariaDbThroughEitherDriver() throws Exception {
        String mariadbUrl = MARIADB.jdbcUrl();
        String mysqlUrl = "jdbc:mysql:" + mariadbUrl.substring("jdbc:mariadb:".length());
        for (String url : List.of(mariadbUrl, mysqlUrl)) {
            Process process = java("--jdbc-url", url, "--round-trip");

            assertTrue(process.waitFor(90, TimeUnit.SECONDS), "the round trip ends by itself");
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), () -> url + ": " + out + stderr.text());
            assertTrue(out.startsWith("Round trip on http://127.0.0.1:") && out.contains(
                    ", on the database of --jdbc-url:\n") && out.contains("\nRound trip OK: "), url + ": " + out);
            assertEquals("", stderr.text().strip(), "nothing logged at the default level, " + url);
        }
    }

    @Test
    void printsTheAddressItListensOnWithIPv6InBrackets() throws Exception {
        Process process = java("--host", "::1", "--port", "0", "--data-dir", tmp.resolve("data").toString());
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> readLine(stdout))
                .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        Matcher listening = Pattern.compile("Listening on (http://\\[::1]:(\\d+))").matcher(String.valueOf(line));
        assertTrue(listening.matches(), () -> "first line '" + line + "'; stderr: " + stderr.text());
        HttpResponse<Void> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(listening.group(1) + "/health")).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, health.statusCode());
        assertEquals("Sending post.published webhooks to " + listening.group(1) + PublishingApiServer.WEBHOOK_PATH,
                CompletableFuture.supplyAsync(() -> readLine(stdout)).get(10, TimeUnit.SECONDS));
    }

    @Test
    void hostThatDoesNotResolveExitsWithStatusTwo() throws Exception {
        Process process = java("--host", "no-such-host.invalid", "--data-dir", tmp.resolve("data").toString());

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr.text();
        assertTrue(err.contains("--host") && err.contains("'no-such-host.invalid'") && err.contains("Usage:"), err);
        assertFalse(Files.exists(tmp.resolve("data")), "nothing is created for a command line that cannot run");
    }

    @Test
    void badWebhookSecretExitsWithStatusTwoWithoutShowingIt() throws Exception {
        Process process = java("--port", "0", "--data-dir", tmp.resolve("data").toString(), "--webhook-secret",
                "whsec_c2hvcnQtc2VjcmV0");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr.text();
        assertTrue(err.contains("--webhook-secret") && err.contains("<redacted, 22 characters>"), err);
        assertFalse(err.contains("c2hvcnQ"), err);
        assertFalse(Files.exists(tmp.resolve("data")), "nothing is created for a command line that cannot run");
    }

    @Test
    void databaseThatCannotBeReachedExitsWithStatusOneWithoutShowingItsPassword() throws Exception {
        // The password twice: in the URL, and as --jdbc-password; the process prints its error in one line.
        Process process = java("--port", "0", "--jdbc-url",
                "jdbc:postgresql://127.0.0.1:1/x?user=postgres&password=S3cr3t-url&connectTimeout=2",
                "--jdbc-password", "S3cr3t-option");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(PublishingApiServer.EXIT_FAILURE, process.exitValue(), () -> out + stderr.text());
        String err = stderr.text();
        assertTrue(err.contains("could not start") && err.contains("127.0.0.1:1/x?user=postgres&password=***"), err);
        assertFalse(err.contains("\tat "), "one line that says it all, no stack trace: " + err);
        assertTrue(err.contains("Connection to 127.0.0.1:1 refused"), "the driver's reason is in it: " + err);
        assertFalse((out + err).contains("S3cr3t"), out + err);
    }

    @Test
    void unknownOptionExitsWithStatusTwoAndUsage() throws Exception {
        Process process = java("--verbose");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr.text();
        assertTrue(err.contains("Unknown option --verbose"), err);
        assertTrue(err.contains("Usage:"), err);
    }

    @Test
    void missingValueExitsWithStatusTwo() throws Exception {
        Process process = java("--port");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        assertTrue(stderr.text().contains("Option --port needs a value"), stderr.text());
    }

    @Test
    void badKeyTtlExitsWithStatusTwoNamingOptionAndValue() throws Exception {
        Process process = java("--port", "0", "--data-dir", tmp.resolve("data").toString(), "--key-ttl", "soon");

        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(PublishingApiServer.EXIT_USAGE, process.exitValue());
        String err = stderr.text();
        assertTrue(err.contains("--key-ttl") && err.contains("'soon'"), err);
        assertFalse(Files.exists(tmp.resolve("data")), "nothing is created for a command line that cannot run");
    }

    private Process java(String... args) throws IOException {
        return java(List.of(), args);
    }

    private Process java(List<String> jvmOptions, String... args) throws IOException {
        String jar = System.getProperty(JAR_PROPERTY);
        assertNotNull(jar, "system property " + JAR_PROPERTY + " (set by the failsafe configuration in the pom)");
        assertTrue(Files.isRegularFile(Path.of(jar)), "the shaded jar " + jar + " (built by mvn package)");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(tmp.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(stderr.file().toFile()))
                .start();
        processes.add(process);
        return process;
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
