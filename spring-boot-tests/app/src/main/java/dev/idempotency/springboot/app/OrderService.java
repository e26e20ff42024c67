package dev.idempotency.springboot.app;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The code behind the endpoints, written as any Spring service is: {@code @Transactional} with the default
 * propagation, a JPA repository and a {@code JdbcTemplate} in the same method. Inside an idempotent request all
 * of it joins the request's transaction.
 */
@Service
public class OrderService {

    private final PurchaseOrderRepository orders;
    private final JdbcTemplate jdbc;

    public OrderService(PurchaseOrderRepository orders, JdbcTemplate jdbc) {
        this.orders = orders;
        this.jdbc = jdbc;
    }

    /**
     * Saves the order (JPA) and an audit row (JDBC); throws after both when {@code fail}, which rolls back
     * everything the request did.
     */
    @Transactional
    public PurchaseOrder create(String item, boolean fail) {
        PurchaseOrder order = orders.save(new PurchaseOrder(item));
        jdbc.update("INSERT INTO order_audit (order_id, note) VALUES (?, ?)", order.getId(), "created " + item);
        if (fail) {
            throw new IllegalStateException("failing after writing order " + order.getId());
        }
        return order;
    }

    /** Renames an order. */
    @Transactional
    public PurchaseOrder rename(long id, String item) {
        PurchaseOrder order = orders.findById(id).orElseThrow();
        order.setItem(item);
        return order;
    }

    /** An audit row in a transaction of its own, committed whatever happens to the caller's. */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public void auditSeparately(String note) {
        jdbc.update("INSERT INTO order_audit (order_id, note) VALUES (NULL, ?)", note);
    }

    /** How many orders and audit rows there are. */
    @Transactional(readOnly = true)
    public long[] counts() {
        return new long[] {orders.count(), jdbc.queryForObject("SELECT count(*) FROM order_audit", Long.class)};
    }
}
