package dev.idempotency.springboot.app;

import dev.idempotency.IdempotencyContext;
import dev.idempotency.spring.Idempotent;
import java.net.URI;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The endpoints. None of them knows about idempotency keys except through {@link Idempotent}.
 *
 * <p>Test knobs, as request headers: {@code X-Fail: true} makes the service throw after its writes;
 * {@code X-Status: N} answers N after the writes; {@code X-Separate-Audit: note} also writes an audit row in a
 * transaction of its own ({@code REQUIRES_NEW}).
 */
@RestController
public class OrdersController {

    private final OrderService service;

    public OrdersController(OrderService service) {
        this.service = service;
    }

    /** The body of the order endpoints. */
    public record OrderRequest(String item) {
    }

    @PostMapping("/orders")
    public ResponseEntity<Map<String, Object>> create(@RequestBody OrderRequest request,
            @RequestHeader(name = "X-Fail", defaultValue = "false") boolean fail,
            @RequestHeader(name = "X-Status", required = false) Integer status,
            @RequestHeader(name = "X-Separate-Audit", required = false) String separateAudit) {
        if (separateAudit != null) {
            service.auditSeparately(separateAudit);
        }
        PurchaseOrder order = service.create(request.item(), fail);
        Map<String, Object> body = Map.of("id", order.getId(), "item", order.getItem());
        if (status != null) {
            return ResponseEntity.status(status).body(body);
        }
        return ResponseEntity.created(URI.create("/orders/" + order.getId())).body(body);
    }

    /** Covered although it is a PUT: the annotation says so. */
    @PutMapping("/orders/{id}")
    @Idempotent
    public Map<String, Object> rename(@PathVariable long id, @RequestBody OrderRequest request) {
        PurchaseOrder order = service.rename(id, request.item());
        return Map.of("id", order.getId(), "item", order.getItem());
    }

    /** A POST that changes nothing: taken out of the protocol, so it needs no key. */
    @PostMapping("/search")
    @Idempotent(enabled = false)
    public Map<String, Object> search(@RequestBody OrderRequest request) {
        return Map.of("query", request.item());
    }

    /** An endpoint whose effect leaves the database: lease mode, and its own time to live. */
    @PostMapping("/payments")
    @Idempotent(mode = Idempotent.Mode.LEASE, keyTtl = "2h")
    public ResponseEntity<Map<String, Object>> pay(@RequestBody OrderRequest request) {
        IdempotencyContext context = IdempotencyContext.current().orElseThrow();
        return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("mode", context.mode().name(),
                "charge", context.derivedKey("charge")));
    }

    /** An endpoint only path rules can reach ({@code idempotency.endpoints.*} in a test). */
    @PostMapping("/legacy/import")
    public Map<String, Object> legacyImport(@RequestBody OrderRequest request) {
        return Map.of("imported", request.item(), "covered", IdempotencyContext.current().isPresent());
    }

    @GetMapping("/counts")
    public Map<String, Object> counts() {
        long[] counts = service.counts();
        return Map.of("orders", counts[0], "audits", counts[1]);
    }
}
