package dev.idempotency.examples;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The scenarios on the embedded H2 database, in files under a fresh data directory per test. */
class H2PublishingApiTest extends PublishingApiScenarios {

    @TempDir
    Path dataDir;

    @Override
    Options options() {
        return Options.defaults().withPort(0).withDataDir(dataDir);
    }
}
