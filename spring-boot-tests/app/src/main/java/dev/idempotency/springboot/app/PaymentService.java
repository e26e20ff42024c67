package dev.idempotency.springboot.app;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Records payment events; inside a webhook delivery it joins the inbox's transaction. */
@Service
public class PaymentService {

    private final JdbcTemplate jdbc;

    public PaymentService(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Records the event; throws after the write when {@code fail}, which rolls the write back with the marker. */
    @Transactional
    public void record(String webhookId, String payment, boolean fail) {
        jdbc.update("INSERT INTO payment_events (webhook_id, payment) VALUES (?, ?)", webhookId, payment);
        if (fail) {
            throw new IllegalStateException("failing after recording payment " + payment);
        }
    }
}
