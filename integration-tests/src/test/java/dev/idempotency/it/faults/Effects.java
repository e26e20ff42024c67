package dev.idempotency.it.faults;

import dev.idempotency.testing.EffectLedger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/** Reads the committed effects of a run from the database, outside any request. */
final class Effects {

    private Effects() {
    }

    /** Rows in {@code fault_orders} per item, for the items starting with {@code prefix}. */
    static Map<String, Integer> ordersByItem(DataSource db, String prefix) throws SQLException {
        Map<String, Integer> counts = new HashMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT item, count(*) FROM fault_orders WHERE item LIKE ? GROUP BY item")) {
            ps.setString(1, prefix + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return counts;
    }

    /** The id of the one row of {@code item} in {@code fault_orders}. */
    static long orderId(DataSource db, String item) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id FROM fault_orders WHERE item = ?")) {
            ps.setString(1, item);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new AssertionError("no row for " + item);
                }
                return rs.getLong(1);
            }
        }
    }

    /** Records of the idempotency store whose key is one of {@code keys} (completed or not). */
    static int records(DataSource db, Iterable<String> keys) throws SQLException {
        int records = 0;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM idempotency_record WHERE idempotency_key = ?")) {
            for (String key : keys) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    records += rs.getInt(1);
                }
            }
        }
        return records;
    }

    /** Records left in progress: none may stay once every client has its answer. */
    static int inProgressRecords(DataSource db) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM idempotency_record WHERE response_status IS NULL");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * Counts the effects of every action of {@code ledger} (rows in {@code fault_orders}), and the rows
     * under {@code prefix} that belong to no action.
     */
    static void countOrders(DataSource db, String prefix, EffectLedger ledger, Iterable<String> items)
            throws SQLException {
        Map<String, Integer> rows = ordersByItem(db, prefix);
        for (String item : items) {
            Integer n = rows.remove(item);
            ledger.effects(item, n == null ? 0 : n);
        }
        ledger.unattributed(rows.values().stream().mapToLong(Integer::longValue).sum());
    }
}
