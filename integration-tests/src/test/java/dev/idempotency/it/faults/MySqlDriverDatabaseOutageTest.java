package dev.idempotency.it.faults;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import java.net.InetSocketAddress;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connection cut and database down on MariaDB, through the proxy and MySQL Connector/J. */
class MySqlDriverDatabaseOutageTest extends DatabaseOutageScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create().withMySqlDriver();

    @Override
    protected String databaseName() {
        return "MariaDB (MySQL Connector/J)";
    }

    @Override
    protected InetSocketAddress server() {
        return MariaDbDatabaseOutageTest.server(DB);
    }

    @Override
    protected String jdbcUrlThrough(int port) {
        return MariaDbDatabaseOutageTest.jdbcUrlThrough(DB, port);
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
}
