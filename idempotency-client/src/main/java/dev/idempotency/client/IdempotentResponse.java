package dev.idempotency.client;

import java.net.http.HttpResponse;
import java.util.Optional;

/**
 * The final answer to a logical call.
 *
 * @param response the answer, its body read by the call's {@link HttpResponse.BodyHandler}
 * @param key the call's idempotency key; empty for a call that carries none (an idempotent method)
 * @param attempts how many attempts the call took, 1 when the first was answered finally
 * @param replayed whether the server replayed a stored outcome ({@code Idempotent-Replayed: true}): the
 *     effect took place in an earlier attempt, or an earlier call with the same key
 * @param <T> the body's type
 */
public record IdempotentResponse<T>(HttpResponse<T> response, Optional<String> key, int attempts,
        boolean replayed) {

    /** The answer's status. */
    public int statusCode() {
        return response.statusCode();
    }

    /** The answer's body. */
    public T body() {
        return response.body();
    }
}
