package dev.idempotency.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The run's results as Markdown: printed as each part finishes, and written whole to
 * {@code benchmark-report.md} in the output directory (after every part, so a failed run keeps what it
 * measured).
 */
final class Report {

    private final Path file;
    private final StringBuilder text = new StringBuilder();
    private final List<String> verdicts = new ArrayList<>();

    Report(Path directory) throws IOException {
        Files.createDirectories(directory);
        this.file = directory.resolve("benchmark-report.md");
    }

    Path directory() {
        return file.getParent();
    }

    /** Appends a section and saves the report. */
    void section(String title, String markdown) {
        String block = "## " + title + "\n\n" + markdown.strip() + "\n\n";
        text.append(block);
        System.out.println();
        System.out.print(block);
        System.out.flush();
        save();
    }

    /** Records whether a target was met, for the summary. */
    void verdict(String target, boolean met, String measured) {
        verdicts.add("| " + target + " | " + measured + " | " + (met ? "met" : "**missed**") + " |");
    }

    /** Appends the targets table. */
    void summary() {
        if (verdicts.isEmpty()) {
            return;
        }
        section("Targets", "| Target | Measured | |\n|---|---|---|\n" + String.join("\n", verdicts));
    }

    private void save() {
        try {
            Files.writeString(file, "# Benchmark report\n\n" + text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("Could not write " + file + ": " + e);
        }
    }

    Path file() {
        return file;
    }

    /** A Markdown table. */
    static String table(List<String> header, List<List<String>> rows) {
        StringBuilder out = new StringBuilder();
        out.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) {
            out.append(i == 0 ? "---|" : "--:|");
        }
        out.append('\n');
        for (List<String> row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return out.toString();
    }

    static String format(String pattern, Object... values) {
        return String.format(Locale.ROOT, pattern, values);
    }

    /** Nanoseconds as milliseconds with two decimals. */
    static String millis(double nanos) {
        return format("%.2f", nanos / 1e6);
    }
}
