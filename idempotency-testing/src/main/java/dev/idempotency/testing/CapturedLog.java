package dev.idempotency.testing;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;

/**
 * What the library logs while a test runs, for a test that causes a failure on purpose and expects it to be
 * reported. The library logs through {@link System.Logger}; this captures the records of its default backend,
 * {@code java.util.logging}, for one logger (named after the class that logs) and the loggers below it, from
 * every thread, from creation until {@link #close()}.
 *
 * <pre>{@code
 * try (CapturedLog log = CapturedLog.of(WebhookReceiverFilter.class)) {
 *     // a delivery the inbox cannot record
 *     assertEquals(1, log.entries(System.Logger.Level.WARNING).size(), log.toString());
 * }
 * }</pre>
 *
 * <p>The records still reach the configured handlers as well (a log file, the console). Only the levels the
 * logging configuration lets through are seen: INFO and above unless configured otherwise. Thread-safe.
 */
public final class CapturedLog implements AutoCloseable {

    /**
     * One captured record.
     *
     * @param level the level it was logged at
     * @param logger the name of the logger
     * @param message the message, with its parameters filled in
     * @param thrown the exception logged with it, or {@code null}
     */
    public record Entry(Level level, String logger, String message, Throwable thrown) {

        @Override
        public String toString() {
            return level + " [" + logger + "] " + message + (thrown == null ? "" : " (" + thrown + ")");
        }
    }

    private static final Formatter MESSAGES = new SimpleFormatter();

    private final Logger logger;
    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            entries.add(new Entry(level(record.getLevel()), record.getLoggerName(), MESSAGES.formatMessage(record),
                    record.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private CapturedLog(String loggerName) {
        // Held here: java.util.logging keeps loggers only weakly, and a collected logger loses its handlers.
        this.logger = Logger.getLogger(loggerName);
        logger.addHandler(handler);
    }

    /** Starts capturing what {@code source} logs (its logger is named after the class). */
    public static CapturedLog of(Class<?> source) {
        return of(Objects.requireNonNull(source, "source").getName());
    }

    /** Starts capturing the records of the logger {@code loggerName} and of the loggers below it. */
    public static CapturedLog of(String loggerName) {
        return new CapturedLog(Objects.requireNonNull(loggerName, "loggerName"));
    }

    /** Every record captured so far, in the order they were logged. */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The records captured so far at {@code level} or a more severe one, in the order they were logged. */
    public List<Entry> entries(Level level) {
        Objects.requireNonNull(level, "level");
        return entries.stream().filter(entry -> entry.level().getSeverity() >= level.getSeverity()).toList();
    }

    /** Stops capturing; the entries stay readable. Idempotent. */
    @Override
    public void close() {
        logger.removeHandler(handler);
    }

    /** The captured records, one a line, for assertion messages. */
    @Override
    public String toString() {
        return entries.isEmpty() ? "(nothing logged by " + logger.getName() + ")"
                : entries.stream().map(Entry::toString).collect(Collectors.joining("\n"));
    }

    private static Level level(java.util.logging.Level level) {
        int value = level.intValue();
        if (value >= java.util.logging.Level.SEVERE.intValue()) {
            return Level.ERROR;
        }
        if (value >= java.util.logging.Level.WARNING.intValue()) {
            return Level.WARNING;
        }
        if (value >= java.util.logging.Level.CONFIG.intValue()) {
            return Level.INFO;
        }
        if (value >= java.util.logging.Level.FINE.intValue()) {
            return Level.DEBUG;
        }
        return Level.TRACE;
    }
}
