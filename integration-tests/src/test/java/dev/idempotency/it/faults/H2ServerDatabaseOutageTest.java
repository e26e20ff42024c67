package dev.idempotency.it.faults;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Connection cut and database down on H2 running as a server (H2's TCP server mode, in this JVM, through
 * the proxy): H2 behind a network, as some deployments run it. An <em>embedded</em> H2 database lives in
 * the application's process and has no connection to lose: it is down only when the process is, which the
 * demo's crash test ({@code H2CrashRecoveryIT} in {@code examples}) covers.
 */
class H2ServerDatabaseOutageTest extends DatabaseOutageScenarios {

    private static Server server;
    private static HikariDataSource direct;
    private static String database;

    @BeforeAll
    static void startServer() throws SQLException {
        server = Server.createTcpServer("-tcpPort", "0", "-ifNotExists").start();
        database = "mem:faults_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1";
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:h2:tcp://127.0.0.1:" + server.getPort() + "/" + database);
        config.setUsername("sa");
        config.setPassword("");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(0);
        direct = new HikariDataSource(config);
    }

    @AfterAll
    static void stopServer() {
        direct.close();
        server.stop();
    }

    @Override
    protected String databaseName() {
        return "H2 (TCP server mode)";
    }

    @Override
    protected InetSocketAddress server() {
        return new InetSocketAddress("127.0.0.1", server.getPort());
    }

    @Override
    protected String jdbcUrlThrough(int port) {
        return "jdbc:h2:tcp://127.0.0.1:" + port + "/" + database;
    }

    @Override
    protected String user() {
        return "sa";
    }

    @Override
    protected String password() {
        return "";
    }

    @Override
    protected DataSource direct() {
        return direct;
    }
}
