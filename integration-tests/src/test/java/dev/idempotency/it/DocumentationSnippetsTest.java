package dev.idempotency.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every code block in the documentation that is marked {@code <!-- snippet: path#tag -->} is exactly the
 * region between {@code tag::tag[]} and {@code end::tag[]} in that file, which the build compiles and
 * tests run. So the documentation cannot show code that does not work.
 */
class DocumentationSnippetsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern MARKER = Pattern.compile("<!-- snippet: (\\S+)#(\\S+) -->");

    @Test
    void documentationSnippetsMatchTheCodeTheyQuote() throws IOException {
        List<Path> documents = new ArrayList<>();
        documents.add(ROOT.resolve("README.md"));
        documents.add(ROOT.resolve("examples/README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        int checked = 0;
        for (Path document : documents) {
            List<String> lines = Files.readAllLines(document);
            for (int i = 0; i < lines.size(); i++) {
                Matcher marker = MARKER.matcher(lines.get(i));
                if (!marker.find()) {
                    continue;
                }
                String where = ROOT.relativize(document) + ":" + (i + 1);
                assertTrue(i + 1 < lines.size() && lines.get(i + 1).startsWith("```"),
                        where + ": a snippet marker must be followed by a fenced code block");
                List<String> block = new ArrayList<>();
                int j = i + 2;
                while (j < lines.size() && !lines.get(j).startsWith("```")) {
                    block.add(lines.get(j++));
                }
                assertEquals(String.join("\n", region(marker.group(1), marker.group(2), where)),
                        String.join("\n", block), where + " differs from " + marker.group(1) + "#" + marker.group(2));
                checked++;
            }
        }
        assertTrue(checked >= 5, "expected the README's snippets to be checked, found " + checked);
    }

    @Test
    void ciRunsTheTestCommandTheReadmeGives() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        Matcher command = Pattern.compile("Run the tests[^`]*```sh\\n([^\\n]+)\\n```").matcher(readme);
        assertTrue(command.find(), "the README names its test command");
        assertTrue(ci.lines().anyMatch(line -> line.trim().equals(command.group(1).trim())),
                ".ci/run must run exactly the README's test command: " + command.group(1));
    }

    private static List<String> region(String file, String tag, String where) throws IOException {
        Path source = ROOT.resolve(file);
        if (!Files.exists(source)) {
            fail(where + ": " + file + " does not exist");
        }
        List<String> region = new ArrayList<>();
        boolean inside = false;
        boolean found = false;
        for (String line : Files.readAllLines(source)) {
            if (line.contains("tag::" + tag + "[]")) {
                inside = true;
                found = true;
                continue;
            }
            if (line.contains("end::" + tag + "[]")) {
                inside = false;
                continue;
            }
            if (inside && !line.contains("tag::") && !line.contains("end::")) {
                region.add(line);
            }
        }
        assertTrue(found, where + ": " + file + " has no region tag::" + tag + "[]");
        assertFalse(region.isEmpty(), where + ": region " + tag + " in " + file + " is empty");
        int indent = region.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> dedented = new ArrayList<>();
        for (String line : region) {
            dedented.add(line.isBlank() ? "" : line.substring(indent));
        }
        return dedented;
    }
}
