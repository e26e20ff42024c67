package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The standard error of the demo processes a test starts: a file per test under the directory named by
 * {@value #DIRECTORY_PROPERTY} (the module's {@code target/demo-logs}, set by the failsafe configuration), kept
 * after the test instead of printed on the build's console. When the test fails, the file's last
 * {@value #TAIL_LINES} lines are added to the failure (as a suppressed exception), so the report shows what the
 * demo said.
 *
 * <p>Register it as a field: {@code @RegisterExtension final DemoStderr stderr = new DemoStderr();}, and
 * start each process with {@code redirectError(ProcessBuilder.Redirect.appendTo(stderr.file().toFile()))}.
 */
final class DemoStderr implements BeforeEachCallback, TestExecutionExceptionHandler {

    static final String DIRECTORY_PROPERTY = "idempotency.example.logs";
    static final int TAIL_LINES = 40;

    private Path file;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        String directory = System.getProperty(DIRECTORY_PROPERTY);
        assertNotNull(directory, "system property " + DIRECTORY_PROPERTY + " (set by the failsafe configuration)");
        Path folder = Files.createDirectories(Path.of(directory));
        file = folder.resolve(context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod()
                .getName() + ".stderr.log");
        // A test run again starts with an empty file: what it holds is this run's.
        Files.deleteIfExists(file);
        Files.createFile(file);
    }

    /** The current test's file, to which every demo process it starts appends its standard error. */
    Path file() {
        return file;
    }

    /** Everything the current test's demo processes wrote to standard error so far. */
    String text() {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + file + " unreadable: " + e + ")";
        }
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        String text = text();
        if (!text.isBlank()) {
            List<String> lines = text.lines().toList();
            List<String> tail = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
            failure.addSuppressed(new Tail("the demo's standard error, last " + tail.size() + " of " + lines.size()
                    + " lines (all in " + file + "):\n" + String.join("\n", tail)));
        }
        throw failure;
    }

    /** Carries the tail into the failure's report; its own stack trace would say nothing. */
    private static final class Tail extends Exception {

        private static final long serialVersionUID = 1L;

        Tail(String message) {
            super(message, null, false, false);
        }
    }
}
