package dev.idempotency.testing;

import static dev.idempotency.testing.PostgresDatabaseExtensionTest.execute;
import static dev.idempotency.testing.PostgresDatabaseExtensionTest.queryString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each H2 extension has a database of its own, discarded at its end. */
class H2DatabaseExtensionTest {

    @RegisterExtension
    static final H2DatabaseExtension CLASS_DB = H2DatabaseExtension.create();

    @RegisterExtension
    final H2DatabaseExtension testDb = H2DatabaseExtension.create().withMaxPoolSize(3);

    private static final Set<String> PER_TEST_URLS = ConcurrentHashMap.newKeySet();

    private final ExtensionContext context = NoContext.instance();

    @BeforeEach
    void recordDatabase() {
        PER_TEST_URLS.add(testDb.jdbcUrl());
    }

    @AfterAll
    static void perTestDatabasesAreGoneAfterTheirTests() {
        assertFalse(PER_TEST_URLS.isEmpty(), "no per-test database was recorded");
        for (String url : PER_TEST_URLS) {
            assertFalse(exists(url), url + " outlived its test");
        }
        assertTrue(exists(CLASS_DB.jdbcUrl()), "the class database is gone before the class ended");
    }

    @Test
    void urlNamesAFreshInMemoryDatabase() {
        assertTrue(testDb.jdbcUrl().matches("jdbc:h2:mem:it_[0-9a-f]{16};DB_CLOSE_DELAY=-1"), testDb.jdbcUrl());
        assertNotEquals(CLASS_DB.jdbcUrl(), testDb.jdbcUrl());
        assertEquals("sa", testDb.user());
        assertEquals("", testDb.password());
    }

    @Test
    void tableCreatedThroughTheDataSourceIsSeenByOtherPoolsOfTheSameDatabaseOnly() throws SQLException {
        execute(testDb.dataSource(), "create table widget (id int primary key)");
        execute(testDb.dataSource(), "insert into widget values (1)");
        assertEquals("1", queryString(testDb.newDataSource(1), "select count(*) from widget"));
        try (Connection connection = DriverManager.getConnection(testDb.jdbcUrl(), testDb.user(),
                testDb.password())) {
            assertEquals("1", queryString(connection, "select count(*) from widget"));
        }
        assertEquals("0", queryString(CLASS_DB.dataSource(),
                "select count(*) from information_schema.tables where table_name = 'WIDGET'"));
    }

    @Test
    void defaultPoolHoldsTwentyConnectionsAndTheOptionChangesIt() {
        assertEquals(20, CLASS_DB.dataSource().getMaximumPoolSize());
        assertEquals(3, testDb.dataSource().getMaximumPoolSize());
        assertEquals(5, testDb.newDataSource(5).getMaximumPoolSize());
        assertThrows(IllegalArgumentException.class, () -> testDb.newDataSource(0));
    }

    @Test
    void classWideExtensionStartsBeforeAllAndShutsDownAfterAll() throws SQLException {
        H2DatabaseExtension db = H2DatabaseExtension.create();
        db.beforeAll(context);
        String url = db.jdbcUrl();
        HikariDataSource pool = db.dataSource();
        HikariDataSource extra = db.newDataSource(2);
        execute(pool, "create table kept (id int)");
        db.beforeEach(context);
        db.afterEach(context);
        assertEquals(url, db.jdbcUrl());
        assertTrue(exists(url));

        db.afterAll(context);
        assertFalse(exists(url), url + " survived afterAll");
        assertTrue(pool.isClosed(), "the main pool is still open");
        assertTrue(extra.isClosed(), "the extra pool is still open");
        assertThrows(IllegalStateException.class, db::jdbcUrl);
    }

    @Test
    void perTestExtensionStartsBeforeEachAndShutsDownAfterEach() throws SQLException {
        H2DatabaseExtension db = H2DatabaseExtension.create();
        db.beforeEach(context);
        String first = db.jdbcUrl();
        execute(db.dataSource(), "create table dropped (id int)");
        db.afterEach(context);
        assertFalse(exists(first));

        db.beforeEach(context);
        String second = db.jdbcUrl();
        assertNotEquals(first, second);
        assertTrue(exists(second));
        db.afterEach(context);
        assertFalse(exists(second));
    }

    @Test
    void accessorsFailClearlyBeforeTheExtensionStarts() {
        H2DatabaseExtension db = H2DatabaseExtension.create();
        IllegalStateException e = assertThrows(IllegalStateException.class, db::dataSource);
        assertTrue(e.getMessage().contains("@RegisterExtension"), e.getMessage());
        assertThrows(IllegalStateException.class, db::jdbcUrl);
        assertThrows(IllegalStateException.class, db::user);
        assertThrows(IllegalStateException.class, () -> db.newDataSource(1));
    }

    /** Whether the in-memory database of {@code url} is alive, without creating it if it is not. */
    private static boolean exists(String url) {
        String name = url.substring(0, url.indexOf(';'));
        try (Connection connection = DriverManager.getConnection(name + ";IFEXISTS=TRUE", "sa", "")) {
            return connection.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }
}
