package dev.idempotency.examples;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;

/** The crash cycle on the embedded H2 database: the restarted process opens the same {@code --data-dir}. */
class H2CrashRecoveryIT extends CrashRecoveryScenarios {

    @Override
    String databaseName() {
        return "H2 (embedded, files)";
    }

    @Override
    List<String> databaseOptions() {
        return List.of("--data-dir", tmp.resolve("data").toString());
    }

    @Override
    Connection openDatabase() throws SQLException {
        try {
            return DriverManager.getConnection(PublishingApiServer.h2Url(tmp.resolve("data")), "sa", "");
        } catch (java.io.IOException e) {
            throw new SQLException(e);
        }
    }
}
