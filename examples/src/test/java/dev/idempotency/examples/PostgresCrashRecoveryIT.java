package dev.idempotency.examples;

import dev.idempotency.testing.PostgresDatabaseExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash cycle on PostgreSQL: a fresh schema ({@code it_<hex>}, dropped afterwards) that every start of
 * the demo is given as {@code --jdbc-url ...?currentSchema=it_<hex>}.
 */
class PostgresCrashRecoveryIT extends CrashRecoveryScenarios {

    @RegisterExtension
    static final PostgresDatabaseExtension DB = PostgresDatabaseExtension.create();

    @Override
    String databaseName() {
        return "PostgreSQL";
    }

    @Override
    List<String> databaseOptions() {
        List<String> options = new ArrayList<>(List.of("--jdbc-url", DB.jdbcUrl()));
        if (DB.user() != null) {
            options.addAll(List.of("--jdbc-user", DB.user()));
        }
        if (DB.password() != null) {
            options.addAll(List.of("--jdbc-password", DB.password()));
        }
        return options;
    }

    @Override
    Connection openDatabase() throws SQLException {
        return DB.dataSource().getConnection();
    }
}
