package dev.idempotency.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.PostgresDatabaseExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scenarios on PostgreSQL, in a fresh schema for this class: the server is given its JDBC URL, as
 * {@code --jdbc-url} would, and builds its own pool on it. Needs a server (see
 * {@link PostgresDatabaseExtension}); without one the tests fail. Also the round trip on PostgreSQL (on H2,
 * {@code ExecutableJarIT} runs it from the shaded jar).
 */
class PostgresPublishingApiTest extends PublishingApiScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    Options options() {
        return Options.defaults().withPort(0).withJdbc(DB.jdbcUrl(), DB.user(), DB.password());
    }

    @Test
    void theRoundTripHoldsOnPostgres() {
        server.stop();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int status = RoundTrip.run(options(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(RoundTrip.EXIT_OK, status, printed + err.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        assertTrue(printed.startsWith("Round trip on http://127.0.0.1:") && printed.contains("on the database of "
                + "--jdbc-url:"), printed);
        assertTrue(printed.contains("4. receiver verified webhook msg_") && printed.contains("recorded it once"), printed);
        assertTrue(printed.contains("5. redelivery of msg_") && printed.contains("-> 204 duplicate"), printed);
        assertTrue(printed.contains("6. tampered signature") && printed.contains("-> 401"), printed);
        assertTrue(printed.contains("Round trip OK"), printed);
    }
}
