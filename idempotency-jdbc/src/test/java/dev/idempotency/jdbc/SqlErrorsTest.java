package dev.idempotency.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.jdbc.internal.SqlErrors;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class SqlErrorsTest {

    @Test
    void connectionFailuresAndRetryableConflictsAreUnavailable() {
        for (String state : new String[] {"08001", "08006", "57P01", "53300", "40001", "40P01", "HYT00"}) {
            assertInstanceOf(StoreUnavailableException.class,
                    SqlErrors.translate("testing", new SQLException("x", state)), state);
        }
        assertTrue(SqlErrors.isTransient(new SQLTransientConnectionException("pool timeout")));
        assertTrue(SqlErrors.isTransient(new SQLException("wrapper", "XX000", new SQLException("cause", "08003"))));
        assertTrue(SqlErrors.isTransient(new SQLException("h2 closed", "90098", 90098)));
    }

    @Test
    void otherFailuresAreNot() {
        for (String state : new String[] {"23505", "42P01", "25P02", "22001", null}) {
            StoreException e = SqlErrors.translate("testing", new SQLException("x", state));
            assertFalse(e instanceof StoreUnavailableException, String.valueOf(state));
        }
    }

    @Test
    void brokenConnectionsAndClosedH2DatabasesMeanTheConnectionIsGone() {
        assertTrue(SqlErrors.isConnectionGone(new SQLException("io", "08006")));
        assertTrue(SqlErrors.isConnectionGone(new SQLException("h2 broken", "90067", 90067)));
        assertTrue(SqlErrors.isConnectionGone(new SQLException("h2 closed", "90121", 90121)));
        assertTrue(SqlErrors.isConnectionGone(new SQLException("wrapper", "XX000", new SQLException("c", "08003"))));
        for (String state : new String[] {"40001", "HYT00", "57014", "23505", null}) {
            assertFalse(SqlErrors.isConnectionGone(new SQLException("x", state)), String.valueOf(state));
        }
    }

    @Test
    void messageSaysWhatWasBeingDoneAndTheSqlState() {
        StoreException e = SqlErrors.translate("claiming key k", new SQLException("boom", "23505", 7));
        assertTrue(e.getMessage().contains("claiming key k") && e.getMessage().contains("23505")
                && e.getMessage().contains("boom"), e.getMessage());
    }

    @Test
    void driverMessageQuotingAPasswordIsRedactedAlongTheWholeChainKeepingClassesAndStackTraces() {
        SQLException driver = new SQLException("cannot reach jdbc:x://db/app?password=s3cret", "08001",
                new java.net.ConnectException("refused by db, password=s3cret"));

        StoreException e = SqlErrors.translate("connecting", driver);

        assertInstanceOf(StoreUnavailableException.class, e, "classified on the original");
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        assertTrue(e.getMessage().contains("jdbc:x://db/app?password=***"), e.getMessage());
        java.io.StringWriter printed = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(printed));
        assertFalse(printed.toString().contains("s3cret"), printed.toString());
        assertTrue(printed.toString().contains("Caused by: java.sql.SQLException: cannot reach jdbc:x://db/app?password=***"),
                printed.toString());
        assertTrue(printed.toString().contains("Caused by: java.net.ConnectException: refused by db, password=***"),
                printed.toString());
        assertEquals(driver.getStackTrace()[0], e.getCause().getStackTrace()[0]);
    }

    @Test
    void failureWithoutSecretsKeepsItsOwnCause() {
        SQLException driver = new SQLException("boom", "08001");

        assertSame(driver, SqlErrors.translate("connecting", driver).getCause());
    }
}
