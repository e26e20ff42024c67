package dev.idempotency.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transactions the JDBC components open for themselves hand their connection back to the pool as the pool
 * gave it: every setting they change (auto-commit, isolation) is restored, whatever happened in between.
 */
class LocalTransactionsTest {

    private Connection physical;
    private OnePool pool;

    @BeforeEach
    void openConnection() throws SQLException {
        physical = DriverManager.getConnection("jdbc:h2:mem:tx-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
        try (Statement st = physical.createStatement()) {
            st.execute("CREATE TABLE t (v INT)");
        }
        pool = new OnePool(physical);
    }

    @AfterEach
    void closeConnection() throws SQLException {
        try (Statement st = physical.createStatement()) {
            st.execute("SHUTDOWN");
        }
        physical.close();
    }

    @Test
    void aTransactionRestoresTheAutoCommitAndTheIsolationItChanged() throws SQLException {
        physical.setAutoCommit(true);
        physical.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);

        try (LocalTransaction transaction = new LocalTransactions(pool, true).begin()) {
            assertFalse(transaction.connection().getAutoCommit(), "auto-commit inside the transaction");
            assertEquals(Connection.TRANSACTION_READ_COMMITTED, transaction.connection().getTransactionIsolation());
            transaction.commit();
        }

        assertTrue(physical.getAutoCommit(), "the pool's auto-commit is back");
        assertEquals(Connection.TRANSACTION_SERIALIZABLE, physical.getTransactionIsolation(), "the pool's isolation");
        assertEquals(1, pool.released, "the connection went back to the pool");
    }

    @Test
    void aTransactionLeavesAloneWhatItDidNotChange() throws SQLException {
        physical.setAutoCommit(false);
        physical.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);

        try (LocalTransaction transaction = new LocalTransactions(pool, false).begin()) {
            assertEquals(Connection.TRANSACTION_REPEATABLE_READ, transaction.connection().getTransactionIsolation());
        }

        assertFalse(physical.getAutoCommit());
        assertEquals(Connection.TRANSACTION_REPEATABLE_READ, physical.getTransactionIsolation());
    }

    @Test
    void aFailedTransactionIsRolledBackAndStillRestoresTheSettings() throws SQLException {
        physical.setAutoCommit(true);
        physical.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);

        assertThrows(SQLException.class, () -> new LocalTransactions(pool, true).inTransaction(connection -> {
            try (Statement st = connection.createStatement()) {
                st.execute("INSERT INTO t VALUES (1)");
                st.execute("INSERT INTO no_such_table VALUES (1)");
            }
            return null;
        }));

        assertEquals(0, rows(), "the first insert was rolled back");
        assertTrue(physical.getAutoCommit());
        assertEquals(Connection.TRANSACTION_SERIALIZABLE, physical.getTransactionIsolation());
        assertEquals(1, pool.released);
    }

    @Test
    void readingUncommittedRestoresTheTransactionsIsolation() throws SQLException {
        physical.setAutoCommit(true);
        physical.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);

        try (LocalTransaction transaction = new LocalTransactions(pool, true).begin()) {
            int during = transaction.readUncommitted(Connection::getTransactionIsolation);
            assertEquals(Connection.TRANSACTION_READ_UNCOMMITTED, during);
            assertEquals(Connection.TRANSACTION_READ_COMMITTED, transaction.connection().getTransactionIsolation());
        }

        assertEquals(Connection.TRANSACTION_SERIALIZABLE, physical.getTransactionIsolation());
        assertTrue(physical.getAutoCommit());
    }

    @Test
    void aStatementInAutoCommitModeRestoresAPoolThatCommitsByHand() throws SQLException {
        physical.setAutoCommit(false);

        new LocalTransactions(pool, true).autoCommitted(connection -> {
            assertTrue(connection.getAutoCommit(), "the statement commits on its own");
            try (Statement st = connection.createStatement()) {
                return st.executeUpdate("INSERT INTO t VALUES (1)");
            }
        });

        assertFalse(physical.getAutoCommit(), "the pool's manual commit is back");
        physical.rollback();
        assertEquals(1, rows(), "the insert committed on its own");
    }

    @Test
    void closingWithoutACommitRollsBack() throws SQLException {
        physical.setAutoCommit(true);

        try (LocalTransaction transaction = new LocalTransactions(pool, false).begin();
                Statement st = transaction.connection().createStatement()) {
            st.execute("INSERT INTO t VALUES (1)");
        }

        assertEquals(0, rows());
    }

    private int rows() throws SQLException {
        try (Statement st = physical.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** A pool of one connection, whose handles only count how often they were released. */
    private static final class OnePool implements DataSource {
        private final Connection physical;
        int released;

        OnePool(Connection physical) {
            this.physical = physical;
        }

        @Override
        public Connection getConnection() {
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            released++;
                            return null;
                        }
                        try {
                            return method.invoke(physical, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String username, String password) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            throw new UnsupportedOperationException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
