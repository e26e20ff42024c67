/**
 * The client half of exactly-once: {@link dev.idempotency.client.IdempotentHttpClient} wraps a
 * {@link java.net.http.HttpClient} so that each logical call keeps one {@code Idempotency-Key} across its
 * attempts and is retried only when a retry can help.
 */
module dev.idempotency.client {
    requires transitive java.net.http;

    exports dev.idempotency.client;
}
