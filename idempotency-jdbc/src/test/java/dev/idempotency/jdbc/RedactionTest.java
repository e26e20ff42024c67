package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void hidesPasswordParametersInEitherSyntaxAndAnyPosition() {
        assertEquals("jdbc:postgresql://db/app?user=app&password=***",
                Redaction.redact("jdbc:postgresql://db/app?user=app&password=s3cret"));
        assertEquals("jdbc:postgresql://db/app?password=***&user=app",
                Redaction.redact("jdbc:postgresql://db/app?password=s3cret&user=app"));
        assertEquals("jdbc:h2:tcp://db/app;USER=sa;PASSWORD=***;WRITE_DELAY=0",
                Redaction.redact("jdbc:h2:tcp://db/app;USER=sa;PASSWORD=s3cret;WRITE_DELAY=0"));
        assertEquals("jdbc:sqlserver://db;user=sa;password=***;databaseName=app",
                Redaction.redact("jdbc:sqlserver://db;user=sa;password={s3;cret};databaseName=app"));
    }

    @Test
    void hidesEveryParameterNamedLikeASecret() {
        assertEquals("jdbc:x://db?pwd=***&passwd=***&sslpassword=***&Client_Secret=***&user=app&cwd=tmp",
                Redaction.redact("jdbc:x://db?pwd=a1&passwd=b2&sslpassword=c3&Client_Secret=d4&user=app&cwd=tmp"));
    }

    @Test
    void hidesThePasswordOfTheUserInformation() {
        assertEquals("jdbc:postgresql://app:***@db:5432/app", Redaction.redact("jdbc:postgresql://app:s3cret@db:5432/app"));
        assertEquals("jdbc:oracle:thin:scott/***@db:1521:orcl", Redaction.redact("jdbc:oracle:thin:scott/tiger@db:1521:orcl"));
    }

    @Test
    void leavesEverythingElseAsItIs() {
        for (String url : List.of("jdbc:postgresql://db:5432/app?user=app&ssl=true", "jdbc:h2:file:./data/app;WRITE_DELAY=0",
                "jdbc:postgresql://db/app?password=", "FATAL: password authentication failed for user \"app\"")) {
            assertEquals(url, Redaction.redact(url));
        }
        assertNull(Redaction.redact(null));
    }

    @Test
    void keepsTheSentenceAroundAQuotedUrlAndIsIdempotent() {
        String message = "Cannot open a pool on jdbc:x://db?password=s3cret: refused (ds0: url=jdbc:h2:mem:a;PASSWORD=x1 user=sa)";
        String redacted = Redaction.redact(message);

        assertEquals("Cannot open a pool on jdbc:x://db?password=***: refused (ds0: url=jdbc:h2:mem:a;PASSWORD=*** user=sa)",
                redacted);
        assertEquals(redacted, Redaction.redact(redacted));
        assertEquals("Invalid value 'jdbc:x://db?password=***' for jdbcUrl",
                Redaction.redact("Invalid value 'jdbc:x://db?password=s3cret' for jdbcUrl"));
    }

    @Test
    void hidesGivenSecretsWhereverTheyAppear() {
        assertEquals("UnknownHostException: app:***@db, and *** again",
                Redaction.redact("UnknownHostException: app:s3cret@db, and s3cret again", Set.of("s3cret")));
        assertEquals("unchanged", Redaction.redact("unchanged", Set.of("", "x1")));
    }

    @Test
    void findsTheSecretsOfAUrlAsWrittenAndDecoded() {
        Set<String> secrets = Redaction.secretsIn("jdbc:postgresql://app:u%40ser@db/app?password=p%26w&sslpassword=\"q\"");

        assertTrue(secrets.containsAll(Set.of("u%40ser", "u@ser", "p%26w", "p&w", "q")), secrets.toString());
        assertEquals(Set.of(), Redaction.secretsIn("jdbc:postgresql://db/app?user=app"));
    }
}
