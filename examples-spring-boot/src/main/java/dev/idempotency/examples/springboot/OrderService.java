package dev.idempotency.examples.springboot;

// tag::service[]
import java.util.Optional;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Orders, written as any Spring service is. Inside an idempotent request, {@code @Transactional} joins the
 * request's transaction: the order commits together with the answer stored for the key, or, if anything
 * throws, not at all, and the key is free for the client's retry.
 */
@Service
public class OrderService {

    private final PurchaseOrderRepository repository;

    /** A service keeping its orders in {@code repository}. */
    public OrderService(PurchaseOrderRepository repository) {
        this.repository = repository;
    }

    /** Saves a new order of {@code item}, with the key of the request that placed it. */
    @Transactional
    public PurchaseOrder place(String item, String idempotencyKey) {
        return repository.save(new PurchaseOrder(item, idempotencyKey));
    }

    /** The order {@code id}, if there is one. */
    @Transactional(readOnly = true)
    public Optional<PurchaseOrder> find(long id) {
        return repository.findById(id);
    }
}
// end::service[]
