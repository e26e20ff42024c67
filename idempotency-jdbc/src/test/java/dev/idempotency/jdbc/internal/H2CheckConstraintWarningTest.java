package dev.idempotency.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.CapturedLog;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * H2 2.4 breaks CHECK constraints once the connection that created their table is closed (inserts then fail
 * with "Check constraint invalid"); the store warns when it finds that version, which Spring Boot 4.0 manages.
 */
class H2CheckConstraintWarningTest {

    @Test
    void h2TwoPointFourIsWarnedAboutNamingTheFixedVersion() {
        try (CapturedLog log = CapturedLog.of("dev.idempotency.jdbc.internal.DatabaseProbe")) {
            DatabaseProbe.warnAboutH2CheckConstraints("2.4.240 (2025-09-22)", "the idempotency store");
            List<CapturedLog.Entry> warnings = log.entries(System.Logger.Level.WARNING);
            assertEquals(1, warnings.size(), log.toString());
            assertTrue(warnings.get(0).message().contains("2.5.252"), warnings.get(0).message());
        }
    }

    @Test
    void otherH2VersionsAreNot() {
        try (CapturedLog log = CapturedLog.of("dev.idempotency.jdbc.internal.DatabaseProbe")) {
            DatabaseProbe.warnAboutH2CheckConstraints("2.5.252 (2025-11-29)", "the idempotency store");
            DatabaseProbe.warnAboutH2CheckConstraints("2.3.232 (2024-08-11)", "the idempotency store");
            assertEquals(List.of(), log.entries(System.Logger.Level.WARNING), log.toString());
        }
    }
}
