package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The command-line parser. {@link PublishingApiServer#main} exits with status
 * {@value PublishingApiServer#EXIT_USAGE} exactly when it throws {@link Options.UsageException}; the
 * process-level exit status is checked by {@code ExecutableJarIT}.
 */
class OptionsTest {

    @Test
    void noArgumentsGiveTheDefaults() {
        Options options = Options.parse().orElseThrow();

        assertEquals(Options.defaults(), options);
        assertEquals("127.0.0.1", options.host());
        assertEquals(8080, options.port());
        assertEquals(Path.of("./idempotency-example-data"), options.dataDir());
        assertEquals(Optional.empty(), options.jdbcUrl());
        assertEquals(Optional.empty(), options.keyTtl());
        assertEquals(Optional.empty(), options.paymentsUrl());
        assertEquals(Optional.empty(), options.leaseDuration());
        assertEquals(Optional.empty(), options.webhookUrl());
        assertEquals(Optional.empty(), options.webhookSecret());
        assertFalse(options.roundTrip());
        assertFalse(options.temporaryDatabase());
    }

    @Test
    void readsEveryOption() {
        Options embedded = Options.parse("--port", "0", "--data-dir", "/tmp/x", "--key-ttl", "30m").orElseThrow();
        Options external = Options.parse("--jdbc-url", "jdbc:postgresql://db:5432/app", "--jdbc-user", "app",
                "--jdbc-password", "secret").orElseThrow();
        Options payments = Options.parse("--payments-url", "http://localhost:9090", "--lease-duration", "2s")
                .orElseThrow();

        assertEquals(0, embedded.port());
        assertEquals(Path.of("/tmp/x"), embedded.dataDir());
        assertEquals(Optional.of("30m"), embedded.keyTtl());
        assertEquals(Optional.of("jdbc:postgresql://db:5432/app"), external.jdbcUrl());
        assertEquals(Optional.of("app"), external.jdbcUser());
        assertEquals(Optional.of("secret"), external.jdbcPassword());
        assertEquals(Optional.of(URI.create("http://localhost:9090")), payments.paymentsUrl());
        assertEquals(Optional.of("2s"), payments.leaseDuration());
    }

    @Test
    void readsTheClaim() {
        assertEquals(java.util.Optional.of("optimistic"), Options.parse("--claim", "optimistic").orElseThrow().claim());
        assertEquals(java.util.Optional.empty(), Options.parse().orElseThrow().claim());
        assertEquals(Options.defaults().withClaim("optimistic"), Options.parse("--claim=optimistic").orElseThrow());
    }

    @Test
    void readsTheHostAsAnAddressOrAName() {
        assertEquals("0.0.0.0", Options.parse("--host", "0.0.0.0").orElseThrow().host());
        assertEquals("::1", Options.parse("--host", "::1").orElseThrow().host());
        assertEquals("::1", Options.parse("--host=[::1]").orElseThrow().host(), "brackets as in a URL are dropped");
        assertEquals("::", Options.parse("--host", "::").orElseThrow().host());
        assertEquals("localhost", Options.parse("--host", "localhost").orElseThrow().host());
        assertEquals("api-1.example.org", Options.parse("--host", "api-1.example.org").orElseThrow().host());
        assertEquals("::1", Options.defaults().withHost("::1").host());
    }

    @Test
    void rejectsAHostThatIsNeitherAnAddressNorAName() {
        for (String host : new String[] {"", " ", "http://localhost", "localhost:8080", "a b", "-a.example", "::g",
                "1::2::3", "[::1", "host_name", "a..b"}) {
            Options.UsageException e = assertThrows(Options.UsageException.class,
                    () -> Options.parse("--host=" + host), host);
            assertTrue(e.getMessage().contains("--host") && e.getMessage().contains("'" + host + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Options.defaults().withHost("a b"));
    }

    @Test
    void readsTheWebhookOptions() {
        Options options = Options.parse("--webhook-url", "https://hooks.example/posts", "--webhook-secret",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").orElseThrow();

        assertEquals(Optional.of(URI.create("https://hooks.example/posts")), options.webhookUrl());
        assertEquals(Optional.of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), options.webhookSecret());
        assertFalse(options.toString().contains("MfKQ9r8G"), options.toString());
        Options.UsageException e = assertThrows(Options.UsageException.class,
                () -> Options.parse("--webhook-url", "hooks.example/posts"));
        assertTrue(e.getMessage().contains("--webhook-url") && e.getMessage().contains("'hooks.example/posts'"),
                e.getMessage());
    }

    @Test
    void roundTripIsAFlagOnAFreePortAndATemporaryDatabaseUnlessToldOtherwise() {
        Options plain = Options.parse("--round-trip").orElseThrow();
        Options onDataDir = Options.parse("--round-trip", "--data-dir", "d", "--port", "9000").orElseThrow();
        Options onPostgres = Options.parse("--jdbc-url", "jdbc:postgresql://db/app", "--round-trip").orElseThrow();

        assertTrue(plain.roundTrip());
        assertEquals(0, plain.port());
        assertTrue(plain.temporaryDatabase());
        assertTrue(onDataDir.roundTrip());
        assertEquals(9000, onDataDir.port());
        assertFalse(onDataDir.temporaryDatabase());
        assertEquals(Path.of("d"), onDataDir.dataDir());
        assertFalse(onPostgres.temporaryDatabase());
        assertEquals("Option --round-trip takes no value",
                assertThrows(Options.UsageException.class, () -> Options.parse("--round-trip=yes")).getMessage());
        Options.UsageException elsewhere = assertThrows(Options.UsageException.class,
                () -> Options.parse("--round-trip", "--webhook-url", "http://localhost:9/hooks"));
        assertTrue(elsewhere.getMessage().contains("--webhook-url") && elsewhere.getMessage().contains("--round-trip"),
                elsewhere.getMessage());
    }

    @Test
    void rejectsPaymentsUrlThatIsNotAnHttpUrl() {
        for (String url : new String[] {"ftp://host/x", "localhost:9090", "/charges", "http://", "http://a b"}) {
            Options.UsageException e = assertThrows(Options.UsageException.class,
                    () -> Options.parse("--payments-url", url), url);
            assertTrue(e.getMessage().contains("--payments-url") && e.getMessage().contains("'" + url + "'"),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> Options.defaults().withPaymentsUrl(URI.create("mailto:pay@example.com")));
    }

    @Test
    void readsValuesAfterEqualsSign() {
        Options options = Options.parse("--port=9090", "--key-ttl=PT1H", "--data-dir=a=b").orElseThrow();

        assertEquals(9090, options.port());
        assertEquals(Optional.of("PT1H"), options.keyTtl());
        assertEquals(Path.of("a=b"), options.dataDir());
    }

    @Test
    void lastOccurrenceWins() {
        assertEquals(2, Options.parse("--port", "1", "--port", "2").orElseThrow().port());
    }

    @Test
    void helpAsksForNoServer() {
        assertTrue(Options.parse("--help").isEmpty());
        assertTrue(Options.parse("--port", "1", "-h").isEmpty());
    }

    @Test
    void rejectsUnknownOption() {
        Options.UsageException e = assertThrows(Options.UsageException.class, () -> Options.parse("--verbose"));
        assertEquals("Unknown option --verbose", e.getMessage());
        assertThrows(Options.UsageException.class, () -> Options.parse("--verbose=yes"));
        assertThrows(Options.UsageException.class, () -> Options.parse("-p", "80"));
    }

    @Test
    void rejectsStrayArgument() {
        Options.UsageException e = assertThrows(Options.UsageException.class, () -> Options.parse("8080"));
        assertTrue(e.getMessage().contains("'8080'"), e.getMessage());
    }

    @Test
    void rejectsMissingValue() {
        Options.UsageException atEnd = assertThrows(Options.UsageException.class, () -> Options.parse("--port"));
        Options.UsageException beforeOption = assertThrows(Options.UsageException.class,
                () -> Options.parse("--data-dir", "--port", "1"));

        assertEquals("Option --port needs a value", atEnd.getMessage());
        assertEquals("Option --data-dir needs a value", beforeOption.getMessage());
        assertThrows(Options.UsageException.class, () -> Options.parse("--key-ttl="));
        assertThrows(Options.UsageException.class, () -> Options.parse("--jdbc-url", " "));
    }

    @Test
    void rejectsUnreadablePort() {
        Options.UsageException text = assertThrows(Options.UsageException.class, () -> Options.parse("--port", "http"));
        Options.UsageException range = assertThrows(Options.UsageException.class,
                () -> Options.parse("--port", "65536"));
        Options.UsageException negative = assertThrows(Options.UsageException.class,
                () -> Options.parse("--port", "-1"));

        assertTrue(text.getMessage().contains("'http'") && text.getMessage().contains("--port"), text.getMessage());
        assertTrue(range.getMessage().contains("'65536'"), range.getMessage());
        assertTrue(negative.getMessage().contains("'-1'"), negative.getMessage());
    }

    @Test
    void rejectsCredentialsWithoutUrl() {
        Options.UsageException e = assertThrows(Options.UsageException.class,
                () -> Options.parse("--jdbc-user", "app"));
        assertTrue(e.getMessage().contains("--jdbc-url"), e.getMessage());
        assertThrows(Options.UsageException.class, () -> Options.parse("--jdbc-password", "secret"));
    }

    @Test
    void rejectsDataDirWithUrl() {
        Options.UsageException e = assertThrows(Options.UsageException.class,
                () -> Options.parse("--data-dir", "d", "--jdbc-url", "jdbc:postgresql://db/app"));
        assertTrue(e.getMessage().contains("--data-dir") && e.getMessage().contains("--jdbc-url"), e.getMessage());
    }

    @Test
    void neverShowsThePassword() {
        Options options = Options.parse("--jdbc-url", "jdbc:postgresql://db/app", "--jdbc-password", "hunter2")
                .orElseThrow();

        assertFalse(options.toString().contains("hunter2"), options.toString());
    }

    @Test
    void neverShowsThePasswordOfTheUrl() {
        Options options = Options.parse("--jdbc-url", "jdbc:postgresql://db/app?user=app&password=hunter2").orElseThrow();

        assertFalse(options.toString().contains("hunter2"), options.toString());
        assertTrue(options.toString().contains("jdbc:postgresql://db/app?user=app&password=***"), options.toString());
    }

    @Test
    void readsTheBrokerOfEachKind() {
        assertEquals(Optional.empty(), Options.defaults().broker());
        Options rabbit = Options.parse("--broker", "amqp://guest:guest@127.0.0.1:5672").orElseThrow();
        assertEquals(BrokerUri.Kind.RABBITMQ, rabbit.broker().orElseThrow().kind());
        assertEquals("amqp://guest:guest@127.0.0.1:5672", rabbit.broker().orElseThrow().uri());
        assertEquals(BrokerUri.Kind.RABBITMQ, Options.parse("--broker=amqp://u:p@mq.example:5672/vhost").orElseThrow()
                .broker().orElseThrow().kind());
        assertEquals(BrokerUri.Kind.NATS, Options.parse("--broker", "nats://127.0.0.1:4222").orElseThrow()
                .broker().orElseThrow().kind());
        assertEquals(BrokerUri.Kind.NATS, Options.parse("--broker", "nats://a:4222,b:4222").orElseThrow()
                .broker().orElseThrow().kind());
        BrokerUri kafka = Options.parse("--broker", "kafka://k1:9092,k2:9092").orElseThrow().broker().orElseThrow();
        assertEquals(BrokerUri.Kind.KAFKA, kafka.kind());
        assertEquals("k1:9092,k2:9092", kafka.bootstrapServers());
        // One broker: as for every option, the last one given counts.
        assertEquals(BrokerUri.Kind.NATS, Options.parse("--broker", "kafka://k:9092", "--broker", "nats://n:4222")
                .orElseThrow().broker().orElseThrow().kind());
        assertTrue(Options.parse("--broker", "nats://n:4222", "--round-trip").orElseThrow().roundTrip());
    }

    @Test
    void rejectsABrokerUriNamingTheOptionAndTheValueWithoutItsPassword() {
        for (String bad : new String[] {"amqp://guest:hunter2@127.0.0.1", "amqps://guest:hunter2@mq:5671",
                "http://guest:hunter2@mq:5672", "amqp://guest:hunter2@:5672", "amqp://guest:hunter2@mq:99999",
                "nats://hunter2@n", "kafka://k:9092/topic", "kafka://", "127.0.0.1:5672"}) {
            Options.UsageException e = assertThrows(Options.UsageException.class, () -> Options.parse("--broker", bad),
                    bad);
            assertTrue(e.getMessage().startsWith("Invalid value '") && e.getMessage().contains("' for --broker: "),
                    e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
        Options.UsageException e = assertThrows(Options.UsageException.class,
                () -> Options.parse("--broker", "amqp://guest:hunter2@127.0.0.1"));
        assertTrue(e.getMessage().contains("'amqp://guest:***@127.0.0.1'"), e.getMessage());
    }

    @Test
    void neverShowsThePasswordOfTheBroker() {
        Options options = Options.parse("--broker", "amqp://guest:hunter2@127.0.0.1:5672").orElseThrow();

        assertFalse(options.toString().contains("hunter2"), options.toString());
        assertTrue(options.toString().contains("broker=amqp://guest:***@127.0.0.1:5672"), options.toString());
        assertEquals("nats://***@127.0.0.1:4222", BrokerUri.parse("nats://s3cret@127.0.0.1:4222").toString());
    }

    @Test
    void rejectsWebhookUrlWithBroker() {
        Options.UsageException e = assertThrows(Options.UsageException.class,
                () -> Options.parse("--broker", "nats://n:4222", "--webhook-url", "http://hooks.example/in"));
        assertTrue(e.getMessage().contains("--webhook-url") && e.getMessage().contains("--broker"), e.getMessage());
    }

    @Test
    void usageNamesEveryOption() {
        for (String option : new String[] {"--host", "--port", "--data-dir", "--jdbc-url", "--jdbc-user",
                "--jdbc-password",
                "--key-ttl", "--payments-url", "--lease-duration", "--webhook-url", "--webhook-secret", "--round-trip",
                "--broker", "--help"}) {
            assertTrue(Options.USAGE.contains(option), option);
        }
    }
}
