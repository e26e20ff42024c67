package dev.idempotency.examples;

import dev.idempotency.testing.MariaDbDatabaseExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash cycle on MariaDB, through MariaDB Connector/J: a database of this class's own
 * ({@code it_<hex>}, dropped afterwards) that every start of the demo is given as {@code --jdbc-url}.
 */
class MariaDbCrashRecoveryIT extends CrashRecoveryScenarios {

    @RegisterExtension
    static final MariaDbDatabaseExtension DB = MariaDbDatabaseExtension.create();

    @Override
    String databaseName() {
        return "MariaDB (MariaDB Connector/J)";
    }

    @Override
    List<String> databaseOptions() {
        // The extension's URL names its user (and password, if any) itself.
        return List.of("--jdbc-url", DB.jdbcUrl());
    }

    @Override
    Connection openDatabase() throws SQLException {
        return DB.dataSource().getConnection();
    }
}
