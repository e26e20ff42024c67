package dev.idempotency.springboot.app;

import dev.idempotency.webhooks.VerifiedWebhook;
import dev.idempotency.webhooks.WebhookReceiverFilter;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A signed webhook's handler, mapped under {@code idempotency.webhooks.receiver.path}: the receiver verified the
 * signature and runs this once per webhook id, in the inbox's transaction, which the service joins.
 */
@RestController
public class PaymentWebhookController {

    private final PaymentService payments;

    public PaymentWebhookController(PaymentService payments) {
        this.payments = payments;
    }

    // tag::handler[]
    @PostMapping("/webhooks/payments")
    public ResponseEntity<Void> paymentEvent(@RequestBody Map<String, Object> event,
            @RequestAttribute(WebhookReceiverFilter.WEBHOOK_ATTRIBUTE) VerifiedWebhook webhook) {
        payments.record(webhook.id(), String.valueOf(event.get("payment")), Boolean.TRUE.equals(event.get("fail")));
        return ResponseEntity.ok().build();
    }
    // end::handler[]
}
