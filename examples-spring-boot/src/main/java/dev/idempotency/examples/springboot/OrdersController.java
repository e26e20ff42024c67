package dev.idempotency.examples.springboot;

// tag::controller[]
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /orders} places an order; {@code GET /orders/{id}} reads one. Nothing here deals with the
 * protocol: the starter's filter answers retries, reused keys and concurrent duplicates before a request gets
 * here, and stores the answer given here for the retries to come.
 */
@RestController
public class OrdersController {

    private final OrderService orders;

    /** A controller placing its orders through {@code orders}. */
    public OrdersController(OrderService orders) {
        this.orders = orders;
    }

    /** The body of {@code POST /orders}: {@code {"item": "book"}}. */
    public record NewOrder(String item) {
    }

    /** Places the order and answers 201 with its {@code Location} and JSON. */
    @PostMapping("/orders")
    public ResponseEntity<PurchaseOrder> place(@RequestBody NewOrder order,
            @RequestHeader("Idempotency-Key") String idempotencyKey) {
        PurchaseOrder placed = orders.place(order.item(), idempotencyKey);
        return ResponseEntity.created(URI.create("/orders/" + placed.getId())).body(placed);
    }

    /** The order {@code id}, or 404. A GET is not covered by the protocol: it passes through untouched. */
    @GetMapping("/orders/{id}")
    public ResponseEntity<PurchaseOrder> get(@PathVariable long id) {
        return ResponseEntity.of(orders.find(id));
    }
}
// end::controller[]
