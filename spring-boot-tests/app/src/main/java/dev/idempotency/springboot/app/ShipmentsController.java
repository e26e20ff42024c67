package dev.idempotency.springboot.app;

import dev.idempotency.jdbc.outbox.JdbcOutbox;
import dev.idempotency.jdbc.outbox.OutboxMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Ships an order by enqueueing its event in the outbox, in the request's transaction; published by the
 * {@link RecordingPublisher}. With {@code X-Hold}, it waits at {@link #gate} first, so a test can send a
 * duplicate while it runs. Only in the {@code metrics} profile.
 */
@RestController
@Profile("metrics")
public class ShipmentsController {

    /** Where a held request waits; a test opens it. */
    public static final class Gate {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
    }

    private final JdbcOutbox outbox;
    private final Gate gate;

    public ShipmentsController(JdbcOutbox outbox, Gate gate) {
        this.outbox = outbox;
        this.gate = gate;
    }

    public record ShipmentRequest(String order) {
    }

    @PostMapping("/shipments")
    @ResponseStatus(HttpStatus.CREATED)
    public Map<String, Object> ship(@RequestBody ShipmentRequest request,
            @RequestHeader(name = "X-Hold", required = false) String hold) throws InterruptedException {
        if (hold != null) {
            gate.entered.countDown();
            gate.open.await(30, TimeUnit.SECONDS);
        }
        String id = UUID.randomUUID().toString();
        outbox.enqueue(OutboxMessage.of("shipments", request.order(),
                ("{\"shipment\":\"" + id + "\",\"order\":\"" + request.order() + "\"}").getBytes(StandardCharsets.UTF_8),
                List.of()));
        return Map.of("shipment", id);
    }
}
