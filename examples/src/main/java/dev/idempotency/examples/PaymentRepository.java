package dev.idempotency.examples;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The SQL of the {@code payments} table, in plain JDBC, written once for PostgreSQL, H2, MariaDB and MySQL:
 * only points in time differ, and {@link DatabaseFlavour} passes them.
 *
 * <p>{@code POST /payments} runs in lease mode, outside any transaction of the idempotency store, so a
 * payment row commits on its own, before the outcome is stored. A crash between the two leaves the row
 * without a stored outcome; the lease then expires and the client's retry runs the handler again. That
 * is why {@link #record} is idempotent by the charge key (the key derived from the request's
 * {@code Idempotency-Key}, unique in the table): the retry finds the row the first run wrote instead of
 * writing a second one.
 */
final class PaymentRepository {

    /** PostgreSQL's and H2's SQLState for a unique violation. */
    private static final String UNIQUE_VIOLATION = "23505";
    /** MariaDB's and MySQL's error code for a duplicate key; their SQLState, 23000, is any integrity violation. */
    private static final int DUPLICATE_ENTRY = 1062;
    private static final String COLUMNS = "id, account_id, amount, charge_id, created_at";

    private final DataSource dataSource;
    private final DatabaseFlavour flavour;

    PaymentRepository(DataSource dataSource, DatabaseFlavour flavour) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.flavour = Objects.requireNonNull(flavour, "flavour");
    }

    /**
     * Records the payment charged under {@code chargeKey}, once: if a row with that key exists (written by
     * an earlier run of the same request that did not get to store its outcome), returns it unchanged.
     */
    Payment record(String chargeKey, String accountId, long amount, String chargeId, Instant now)
            throws SQLException {
        Instant createdAt = now.truncatedTo(ChronoUnit.MICROS);
        // Outside the idempotency transaction this connection is in auto-commit: the insert commits on its own,
        // and a failed one leaves nothing to roll back.
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO payments "
                        + "(charge_key, account_id, amount, charge_id, created_at) VALUES (?, ?, ?, ?, ?)",
                        new String[] {"id"})) {
            insert.setString(1, chargeKey);
            insert.setString(2, accountId);
            insert.setLong(3, amount);
            insert.setString(4, chargeId);
            flavour.setInstant(insert, 5, createdAt);
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("The database returned no id for the inserted payment");
                }
                return new Payment(keys.getLong(1), accountId, amount, chargeId, createdAt);
            }
        } catch (SQLException e) {
            if (!isDuplicateKey(e)) {
                throw e;
            }
            return findByChargeKey(chargeKey).orElseThrow(() -> e);
        }
    }

    private static boolean isDuplicateKey(SQLException e) {
        return UNIQUE_VIOLATION.equals(e.getSQLState())
                || ("23000".equals(e.getSQLState()) && e.getErrorCode() == DUPLICATE_ENTRY);
    }

    /** The payment with {@code id}, if there is one. */
    Optional<Payment> findById(long id) throws SQLException {
        return findOne("SELECT " + COLUMNS + " FROM payments WHERE id = ?", id);
    }

    private Optional<Payment> findByChargeKey(String chargeKey) throws SQLException {
        return findOne("SELECT " + COLUMNS + " FROM payments WHERE charge_key = ?", chargeKey);
    }

    /** The payments of {@code accountId}, oldest (lowest id) first. */
    List<Payment> findByAccount(String accountId) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(
                        "SELECT " + COLUMNS + " FROM payments WHERE account_id = ? ORDER BY id")) {
            select.setString(1, accountId);
            try (ResultSet rows = select.executeQuery()) {
                List<Payment> payments = new ArrayList<>();
                while (rows.next()) {
                    payments.add(read(rows));
                }
                return payments;
            }
        }
    }

    private Optional<Payment> findOne(String sql, Object parameter) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement select = connection.prepareStatement(sql)) {
            select.setObject(1, parameter);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(read(rows)) : Optional.empty();
            }
        }
    }

    private Payment read(ResultSet row) throws SQLException {
        return new Payment(row.getLong("id"), row.getString("account_id"), row.getLong("amount"),
                row.getString("charge_id"), flavour.getInstant(row, "created_at"));
    }
}
