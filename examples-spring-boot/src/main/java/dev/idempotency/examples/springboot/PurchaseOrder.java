package dev.idempotency.examples.springboot;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * An order, a JPA entity in the {@code orders} table (created by the application's Flyway migration), sent as
 * JSON: {@code {"id": 1, "item": "book", "idempotencyKey": "8e03978e-..."}}.
 */
@Entity
@Table(name = "orders")
public class PurchaseOrder {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false)
    private String item;

    /** The key of the request that placed the order, to trace an order to it; not a constraint. */
    private String idempotencyKey;

    /** For JPA. */
    protected PurchaseOrder() {
    }

    /** A new order of {@code item}, placed by the request with {@code idempotencyKey}. */
    public PurchaseOrder(String item, String idempotencyKey) {
        this.item = item;
        this.idempotencyKey = idempotencyKey;
    }

    /** The generated id; {@code null} until the order is saved. */
    public Long getId() {
        return id;
    }

    /** What was ordered. */
    public String getItem() {
        return item;
    }

    /** The {@code Idempotency-Key} of the request that placed the order. */
    public String getIdempotencyKey() {
        return idempotencyKey;
    }
}
