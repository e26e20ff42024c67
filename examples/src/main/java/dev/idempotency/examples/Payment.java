package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One row of the demo's {@code payments} table.
 *
 * @param id the generated id
 * @param accountId the account that paid
 * @param amount the amount, in minor units (cents)
 * @param chargeId the payment provider's id for the charge
 * @param createdAt when the row was written, to the microsecond (the precision both databases keep)
 */
record Payment(long id, String accountId, long amount, String chargeId, Instant createdAt) {

    Payment {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(chargeId, "chargeId");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** The JSON form the API answers with; {@code created_at} is ISO-8601 in UTC. */
    ObjectNode toJson(ObjectMapper json) {
        return json.createObjectNode()
                .put("id", id)
                .put("account_id", accountId)
                .put("amount", amount)
                .put("charge_id", chargeId)
                .put("created_at", createdAt.toString());
    }
}
