package dev.idempotency.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs against a real PostgreSQL: the one {@value PostgresDatabaseExtension#ENV_JDBC_URL} names, or one
 * Testcontainers starts. Without either, every test here fails with instructions.
 */
class PostgresDatabaseExtensionTest {

    @RegisterExtension
    static final PostgresDatabaseExtension CLASS_DB = PostgresDatabaseExtension.create();

    @RegisterExtension
    final PostgresDatabaseExtension testDb = PostgresDatabaseExtension.create().withMaxPoolSize(3);

    /** Schemas of per-test extensions, each of which must be gone once its test ended. */
    private static final Set<String> PER_TEST_SCHEMAS = ConcurrentHashMap.newKeySet();
    private static final Set<String> CLASS_SCHEMAS = ConcurrentHashMap.newKeySet();
    private static volatile String plainUrl;
    private static volatile Properties plainCredentials;

    private final ExtensionContext context = NoContext.instance();

    @AfterAll
    static void perTestSchemasAreDroppedAfterTheirTests() throws SQLException {
        assertFalse(PER_TEST_SCHEMAS.isEmpty(), "no per-test schema was recorded");
        assertEquals(1, CLASS_SCHEMAS.size(), "the class-wide extension used one schema: " + CLASS_SCHEMAS);
        try (Connection connection = DriverManager.getConnection(plainUrl, plainCredentials)) {
            for (String schema : PER_TEST_SCHEMAS) {
                assertFalse(schemaExists(connection, schema), schema + " outlived its test");
            }
            // The class-wide schema lives until after this method: JUnit runs extensions' afterAll last.
            assertTrue(schemaExists(connection, CLASS_SCHEMAS.iterator().next()), "the class schema is gone early");
        }
    }

    @BeforeAll
    static void rememberHowToConnectWithoutTheExtension() {
        plainUrl = CLASS_DB.jdbcUrl();
        plainCredentials = credentials(CLASS_DB);
    }

    @BeforeEach
    void recordSchemas() {
        PER_TEST_SCHEMAS.add(testDb.schema());
        CLASS_SCHEMAS.add(CLASS_DB.schema());
    }

    @Test
    void connectionsUseTheFreshSchemaAsCurrentSchema() throws SQLException {
        for (PostgresDatabaseExtension db : new PostgresDatabaseExtension[] {CLASS_DB, testDb}) {
            assertTrue(db.schema().matches("it_[0-9a-f]{16}"), db.schema());
            assertEquals(db.schema(), queryString(db.dataSource(), "select current_schema()"));
            assertTrue(db.jdbcUrl().endsWith("currentSchema=" + db.schema()), db.jdbcUrl());
            try (Connection connection = DriverManager.getConnection(db.jdbcUrl(), credentials(db))) {
                assertEquals(db.schema(), queryString(connection, "select current_schema()"));
            }
        }
    }

    @Test
    void tableCreatedThroughTheDataSourceLivesInTheSchema() throws SQLException {
        execute(testDb.dataSource(), "create table widget (id int primary key)");
        execute(testDb.dataSource(), "insert into widget values (1)");
        assertEquals(testDb.schema(), queryString(testDb.dataSource(),
                "select table_schema from information_schema.tables where table_name = 'widget'"));
        assertEquals("1", queryString(testDb.newDataSource(1), "select count(*) from widget"));
    }

    @Test
    void twoExtensionsGetDifferentSchemas() {
        assertNotEquals(CLASS_DB.schema(), testDb.schema());
    }

    @Test
    void defaultPoolHoldsTwentyConnectionsAndTheOptionChangesIt() {
        assertEquals(20, CLASS_DB.dataSource().getMaximumPoolSize());
        assertEquals(3, testDb.dataSource().getMaximumPoolSize());
        assertEquals(7, testDb.newDataSource(7).getMaximumPoolSize());
        assertThrows(IllegalArgumentException.class, () -> testDb.newDataSource(0));
        assertThrows(IllegalArgumentException.class, () -> PostgresDatabaseExtension.create().withMaxPoolSize(0));
    }

    @Test
    void classWideExtensionCreatesItsSchemaBeforeAllAndDropsItWithItsTablesAfterAll() throws SQLException {
        PostgresDatabaseExtension db = PostgresDatabaseExtension.create();
        db.beforeAll(context);
        String schema = db.schema();
        HikariDataSource pool = db.dataSource();
        HikariDataSource extra = db.newDataSource(2);
        try (Connection plain = plainConnection()) {
            assertTrue(schemaExists(plain, schema));
            execute(pool, "create table kept (id int)");
            // Tests come and go; the class-wide schema stays.
            db.beforeEach(context);
            db.afterEach(context);
            assertEquals(schema, db.schema());
            assertTrue(schemaExists(plain, schema));

            db.afterAll(context);
            assertFalse(schemaExists(plain, schema), schema + " survived afterAll");
            assertTrue(pool.isClosed(), "the main pool is still open");
            assertTrue(extra.isClosed(), "the extra pool is still open");
            assertThrows(IllegalStateException.class, db::schema);
        }
    }

    @Test
    void perTestExtensionCreatesItsSchemaBeforeEachAndDropsItAfterEach() throws SQLException {
        PostgresDatabaseExtension db = PostgresDatabaseExtension.create();
        try (Connection plain = plainConnection()) {
            db.beforeEach(context);
            String first = db.schema();
            execute(db.dataSource(), "create table dropped (id int)");
            db.afterEach(context);
            assertFalse(schemaExists(plain, first), first + " survived afterEach");

            db.beforeEach(context);
            String second = db.schema();
            assertNotEquals(first, second);
            assertTrue(schemaExists(plain, second));
            db.afterEach(context);
            assertFalse(schemaExists(plain, second), second + " survived afterEach");
        }
    }

    @Test
    void nestedClassesShareTheOuterClassSchema() throws SQLException {
        PostgresDatabaseExtension db = PostgresDatabaseExtension.create();
        try (Connection plain = plainConnection()) {
            db.beforeAll(context);
            String schema = db.schema();
            db.beforeAll(context);
            assertEquals(schema, db.schema());
            db.afterAll(context);
            assertTrue(schemaExists(plain, schema), "the nested class's end dropped the outer class's schema");
            db.afterAll(context);
            assertFalse(schemaExists(plain, schema));
        }
    }

    @Test
    void accessorsFailClearlyBeforeTheExtensionStarts() {
        PostgresDatabaseExtension db = PostgresDatabaseExtension.create();
        IllegalStateException e = assertThrows(IllegalStateException.class, db::dataSource);
        assertTrue(e.getMessage().contains("@RegisterExtension"), e.getMessage());
        assertThrows(IllegalStateException.class, db::jdbcUrl);
        assertThrows(IllegalStateException.class, db::user);
        assertThrows(IllegalStateException.class, db::password);
        assertThrows(IllegalStateException.class, () -> db.newDataSource(1));
    }

    /** A static extension of the outer class serves its nested classes too, with the same schema. */
    @Nested
    class NestedClass {

        @Test
        void seesTheOuterClassSchema() throws SQLException {
                assertEquals(CLASS_DB.schema(), queryString(CLASS_DB.dataSource(), "select current_schema()"));
        }
    }

    private static Connection plainConnection() throws SQLException {
        return DriverManager.getConnection(plainUrl, plainCredentials);
    }

    private static Properties credentials(TestDatabase db) {
        Properties properties = new Properties();
        if (db.user() != null) {
            properties.setProperty("user", db.user());
        }
        if (db.password() != null) {
            properties.setProperty("password", db.password());
        }
        return properties;
    }

    static boolean schemaExists(Connection connection, String schema) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "select count(*) from information_schema.schemata where schema_name = ?")) {
            statement.setString(1, schema);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1) == 1;
            }
        }
    }

    static void execute(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    static String queryString(DataSource dataSource, String sql) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return queryString(connection, sql);
        }
    }

    static String queryString(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            assertTrue(rows.next(), "no row from " + sql);
            return rows.getString(1);
        }
    }
}
