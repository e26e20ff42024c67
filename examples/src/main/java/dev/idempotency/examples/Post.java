package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One row of the demo's {@code posts} table.
 *
 * @param id the generated id
 * @param accountId the account the post belongs to
 * @param content the text of the post
 * @param createdAt when it was created, to the microsecond (the precision both databases keep)
 */
record Post(long id, String accountId, String content, Instant createdAt) {

    Post {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** The JSON form the API answers with; {@code created_at} is ISO-8601 in UTC. */
    ObjectNode toJson(ObjectMapper json) {
        return json.createObjectNode()
                .put("id", id)
                .put("account_id", accountId)
                .put("content", content)
                .put("created_at", createdAt.toString());
    }
}
