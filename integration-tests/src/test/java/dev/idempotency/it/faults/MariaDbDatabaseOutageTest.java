package dev.idempotency.it.faults;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connection cut and database down on MariaDB, through the proxy and MariaDB Connector/J; through MySQL
 * Connector/J in {@link MySqlDriverDatabaseOutageTest}.
 */
class MariaDbDatabaseOutageTest extends DatabaseOutageScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    private static final Pattern HOST_AND_PORT = Pattern.compile("^jdbc:(mariadb|mysql)://([^/:?]+)(?::(\\d+))?/");

    @Override
    protected String databaseName() {
        return "MariaDB (MariaDB Connector/J)";
    }

    @Override
    protected InetSocketAddress server() {
        return server(DB);
    }

    @Override
    protected String jdbcUrlThrough(int port) {
        return jdbcUrlThrough(DB, port);
    }

    @Override
    protected String user() {
        return DB.user();
    }

    @Override
    protected String password() {
        return DB.password();
    }

    @Override
    protected DataSource direct() {
        return DB.dataSource();
    }

    /** The address of the server {@code db} connects to. */
    static InetSocketAddress server(MariaDbDatabaseExtension db) {
        Matcher url = hostAndPort(db);
        int port = url.group(3) == null ? 3306 : Integer.parseInt(url.group(3));
        return InetSocketAddress.createUnresolved(url.group(2), port);
    }

    /** {@code db}'s JDBC URL, same driver, with the server's address replaced by {@code 127.0.0.1:port}. */
    static String jdbcUrlThrough(MariaDbDatabaseExtension db, int port) {
        Matcher url = hostAndPort(db);
        return "jdbc:" + url.group(1) + "://127.0.0.1:" + port + "/" + db.jdbcUrl().substring(url.end());
    }

    private static Matcher hostAndPort(MariaDbDatabaseExtension db) {
        Matcher url = HOST_AND_PORT.matcher(db.jdbcUrl());
        if (!url.find()) {
            throw new IllegalStateException("Expected jdbc:mariadb://host[:port]/..., not " + db.jdbcUrl());
        }
        return url;
    }
}
