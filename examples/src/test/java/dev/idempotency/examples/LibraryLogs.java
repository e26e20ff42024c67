package dev.idempotency.examples;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what the library logs (through {@code System.Logger}, which is {@code java.util.logging} unless
 * the application installs another backend) while a test provokes it on purpose, a database outage say:
 * the records are kept for the test to assert on instead of being printed, so a passing build's output
 * shows no expected warning and no stack trace. Everything is printed as usual again once closed.
 */
final class LibraryLogs implements AutoCloseable {

    private static final String LIBRARY = "dev.idempotency";

    private final Logger logger = Logger.getLogger(LIBRARY);
    private final boolean parentHandlers;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LibraryLogs() {
        parentHandlers = logger.getUseParentHandlers();
        logger.addHandler(capture);
        logger.setUseParentHandlers(false);
    }

    /** Starts capturing everything logged under {@code dev.idempotency}. */
    static LibraryLogs capture() {
        return new LibraryLogs();
    }

    /** Whether a warning or worse whose message contains {@code fragment} was logged. */
    boolean warned(String fragment) {
        return records.stream().anyMatch(record -> record.getLevel().intValue() >= Level.WARNING.intValue()
                && record.getMessage() != null && record.getMessage().contains(fragment));
    }

    @Override
    public void close() {
        logger.removeHandler(capture);
        logger.setUseParentHandlers(parentHandlers);
    }

    @Override
    public String toString() {
        return records.stream().map(record -> record.getLevel() + " " + record.getMessage()).toList().toString();
    }
}
