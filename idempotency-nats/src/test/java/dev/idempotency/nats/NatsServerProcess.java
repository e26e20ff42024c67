package dev.idempotency.nats;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/**
 * A nats-server of a test's own, with JetStream and a store directory of its own, on a free port of the loopback
 * interface: killed (SIGKILL) or stopped and started again on the same port and directory, and always removed
 * with its directory at {@link #close()}. The binary comes from {@value #ENV_SERVER}, or {@code nats-server} on
 * the {@code PATH}, or {@code /usr/sbin/nats-server}.
 */
final class NatsServerProcess implements AutoCloseable {

    /** The environment variable naming the nats-server binary. */
    static final String ENV_SERVER = "IDEMPOTENCY_TEST_NATS_SERVER";

    private final Path binary;
    private final Path storeDirectory;
    private final Path logFile;
    private final int port;
    private Process process;

    private NatsServerProcess(Path binary, Path storeDirectory, Path logFile, int port) {
        this.binary = binary;
        this.storeDirectory = storeDirectory;
        this.logFile = logFile;
        this.port = port;
    }

    /** Starts a server on a free port, with a new store directory and its log in {@code logFile}. */
    static NatsServerProcess start(Path logFile) throws IOException, InterruptedException {
        Path binary = binary();
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path store = Files.createTempDirectory("nats-store-");
        NatsServerProcess server = new NatsServerProcess(binary, store, logFile, port);
        try {
            server.startAgain();
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static Path binary() {
        String configured = System.getenv(ENV_SERVER);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured.trim());
            if (!Files.isExecutable(path)) {
                throw new ExtensionConfigurationException(ENV_SERVER + "=" + configured
                        + " is not an executable nats-server binary");
            }
            return path;
        }
        String pathVariable = System.getenv("PATH");
        if (pathVariable != null) {
            for (String directory : pathVariable.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(directory, "nats-server");
                if (Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        Path usual = Path.of("/usr/sbin/nats-server");
        if (Files.isExecutable(usual)) {
            return usual;
        }
        throw new ExtensionConfigurationException("No nats-server binary for the broker-restart test: install "
                + "nats-server (the Debian package nats-server), put it on the PATH, or set " + ENV_SERVER
                + " to its path");
    }

    /** The URL clients connect to. */
    String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** Starts the server (again), on the same port and store directory, and waits until it accepts connections. */
    void startAgain() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the nats-server is running already");
        }
        process = new ProcessBuilder(List.of(binary.toString(), "-a", "127.0.0.1", "-p", String.valueOf(port), "-js",
                "-sd", storeDirectory.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited with " + process.exitValue() + " on start; see "
                        + logFile);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("nats-server did not accept connections on port " + port
                            + " within 30 s; see " + logFile);
                }
                Thread.sleep(20);
            }
        }
    }

    /** Kills the server with SIGKILL and waits until it has gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("nats-server did not die on SIGKILL");
        }
    }

    /** Kills the server and deletes its store directory. */
    @Override
    public void close() throws InterruptedException, IOException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        if (Files.exists(storeDirectory)) {
            try (Stream<Path> files = Files.walk(storeDirectory)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
