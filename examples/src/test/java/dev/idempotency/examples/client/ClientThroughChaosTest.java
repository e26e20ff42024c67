package dev.idempotency.examples.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.examples.Options;
import dev.idempotency.examples.PublishingApiServer;
import dev.idempotency.testing.FaultSettings;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client half end to end: thousands of logical calls from concurrent threads to the demo on PostgreSQL,
 * through a proxy that loses answers after the server processed the request, resets connections, delays and
 * answers 503. The ledger, counted in the demo's database, must show every answered call once; the same run
 * with a new key per attempt must show duplicates, or the test could not tell the two apart.
 */
class ClientThroughChaosTest {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private PublishingApiServer demo;

    @BeforeEach
    void start() throws Exception {
        demo = PublishingApiServer.start(Options.defaults().withPort(0).withJdbc(DB.jdbcUrl(), DB.user(),
                DB.password()));
    }

    @AfterEach
    void stop() {
        if (demo != null) {
            demo.stop();
        }
    }

    /** Calls per run; -Dfault.duration=... (the long fault variants' switch) makes it ten times as many. */
    private static int calls() {
        return FaultSettings.duration(null) != null ? 20_000 : 2_000;
    }

    /** The proxy's seed: -Dfault.seed=... repeats a run, and each run prints the one it used. */
    private static final long SEED = FaultSettings.seed();

    @Test
    void oneKeyPerCallTakesEffectExactlyOnceThroughLostAnswersResetsAndOutages() throws Exception {
        ClientExperiment.Ledger ledger = new ClientExperiment(demo.baseUri(), "chaos-client")
                .run(ClientExperiment.Client.IDEMPOTENT, calls(), 8, true, SEED);
        System.out.println(ledger.line(ClientExperiment.Client.IDEMPOTENT, true) + " seed=" + SEED);

        assertEquals(calls(), ledger.answered(), "every call answered: " + ledger);
        assertEquals(calls(), ledger.effects(), ledger.toString());
        assertEquals(0, ledger.lost(), ledger.toString());
        assertEquals(0, ledger.duplicated(), ledger.toString());
        assertTrue(ledger.fates().get(ChaosProxy.Fate.ANSWER_LOST) > calls() / 20,
                "the proxy lost answers after the server processed them: " + ledger.fates());
        assertTrue(ledger.replays() > 0, "some calls were answered by a replay of what a lost answer said");
    }

    @Test
    void aNewKeyPerAttemptDuplicatesThroughTheSameProxy() throws Exception {
        ClientExperiment.Ledger ledger = new ClientExperiment(demo.baseUri(), "chaos-client")
                .run(ClientExperiment.Client.NAIVE, 500, 8, true, SEED);
        System.out.println(ledger.line(ClientExperiment.Client.NAIVE, true) + " seed=" + SEED);

        assertTrue(ledger.duplicated() > 0, "a lost answer retried under a new key runs twice: " + ledger);
    }

    @Test
    void theCommandPrintsTheLedgerAndExitsZeroWhenItHolds() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ClientCommand.run(List.of("--url", demo.baseUri().toString(), "--calls", "200", "--chaos",
                "--seed=7"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(ClientCommand.EXIT_OK, status, printed + err);
        assertTrue(printed.contains("LEDGER client (one key per call) through a chaos proxy: calls=200 effects=200 "
                + "lost=0 duplicated=0"), printed);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anUnusableCommandLineSaysWhyWithTheUsage() {
        for (List<String> args : List.of(List.<String>of(), List.of("--url", "ftp://x"), List.of("--url",
                "http://127.0.0.1:1", "--calls", "0"), List.of("--bogus"))) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = ClientCommand.run(args, new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(ClientCommand.EXIT_USAGE, status, args.toString());
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("Usage: java -jar idempotency-example.jar client"),
                    err.toString(StandardCharsets.UTF_8));
        }
    }
}
