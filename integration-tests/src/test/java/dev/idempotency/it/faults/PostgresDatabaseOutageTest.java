package dev.idempotency.it.faults;

import dev.idempotency.testing.PostgresDatabaseExtension;
import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connection cut and database down on PostgreSQL, through the proxy. The other way to lose the connection
 * mid-transaction, {@code pg_terminate_backend} of the request's backend, is
 * {@code PostgresTransactionalFilterTest.connectionKilledMidRequestAnswers503AndTheRetryTakesEffectOnce}.
 */
class PostgresDatabaseOutageTest extends DatabaseOutageScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    private static final Pattern HOST_AND_PORT = Pattern.compile("^jdbc:postgresql://([^/:?]+)(?::(\\d+))?/");

    @Override
    protected String databaseName() {
        return "PostgreSQL";
    }

    @Override
    protected InetSocketAddress server() {
        Matcher url = hostAndPort();
        int port = url.group(2) == null ? 5432 : Integer.parseInt(url.group(2));
        return InetSocketAddress.createUnresolved(url.group(1), port);
    }

    @Override
    protected String jdbcUrlThrough(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DB.jdbcUrl().substring(hostAndPort().end());
    }

    private static Matcher hostAndPort() {
        Matcher url = HOST_AND_PORT.matcher(DB.jdbcUrl());
        if (!url.find()) {
            throw new IllegalStateException("Expected jdbc:postgresql://host[:port]/..., not " + DB.jdbcUrl());
        }
        return url;
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
