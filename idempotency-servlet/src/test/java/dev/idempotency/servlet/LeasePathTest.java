package dev.idempotency.servlet;

import static dev.idempotency.servlet.ReplyAssertions.assertExecuted;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idempotency.IdempotencyConfig;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code idempotency.lease-paths} match the path the container routes the request on, decoded and
 * normalised: a request cannot leave lease mode (and hold a pooled connection and an open transaction for
 * its whole downstream call) by spelling the same path another way.
 */
class LeasePathTest {

    private static final IdempotencyConfig LEASE_CHARGES = IdempotencyConfig.custom()
            .leasePaths("/orders/charges", "/orders/refunds/*").build();

    @Test
    void leasePathsMatchHoweverTheRequestSpellsThePath() throws Exception {
        try (JettyApp app = JettyApp.builder().config(LEASE_CHARGES).start()) {
            for (String path : List.of("/orders/charges", "/orders/%63harges", "/orders/charges;x=1",
                    "/orders/other/../charges", "/orders/./charges",
                    "/orders/refunds", "/orders/refunds/7", "/orders/%72efunds/7;v=2", "/orders/x/../refunds/7")) {
                assertEquals("LEASE", modeOf(app, path), path);
            }
        }
    }

    @Test
    void pathsOutsideTheLeasePathsRunInTransactionMode() throws Exception {
        try (JettyApp app = JettyApp.builder().config(LEASE_CHARGES).start()) {
            for (String path : List.of("/orders", "/orders/charges/7", "/orders/chargesx", "/orders/x/charges",
                    "/orders/refundsx", "/orders/charges/../other")) {
                assertEquals("TRANSACTION", modeOf(app, path), path);
            }
        }
    }

    private static String modeOf(JettyApp app, String rawPath) throws Exception {
        Reply reply = app.raw("POST", rawPath).header("Idempotency-Key", UUID.randomUUID().toString())
                .header("X-Test-Echo-Mode", "true").json("{}").send();
        assertExecuted(reply, 201);
        return reply.header("X-Test-Mode");
    }
}
