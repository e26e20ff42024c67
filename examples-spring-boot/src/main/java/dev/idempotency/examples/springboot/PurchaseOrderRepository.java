package dev.idempotency.examples.springboot;

import org.springframework.data.jpa.repository.JpaRepository;

/** Spring Data JPA's repository of orders. */
public interface PurchaseOrderRepository extends JpaRepository<PurchaseOrder, Long> {
}
