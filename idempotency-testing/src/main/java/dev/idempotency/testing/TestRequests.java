package dev.idempotency.testing;

import dev.idempotency.adapter.IncomingRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** Requests for tests that drive {@code Idempotency} directly, without a servlet container. */
public final class TestRequests {

    private TestRequests() {
    }

    /**
     * A JSON {@code POST /orders} of {@code body} under {@code key} (sent quoted, as a structured-field string; no
     * header at all when {@code null}) by the client {@code scope}.
     */
    public static IncomingRequest post(String scope, String key, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return new IncomingRequest() {
            @Override
            public String method() {
                return "POST";
            }

            @Override
            public String path() {
                return "/orders";
            }

            @Override
            public String rawQuery() {
                return null;
            }

            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public List<String> idempotencyKeyHeaders() {
                return key == null ? List.of() : List.of("\"" + key + "\"");
            }

            @Override
            public Optional<String> scope() {
                return Optional.of(scope);
            }

            @Override
            public String scopeSource() {
                return "a test";
            }

            @Override
            public byte[] readBody(int maxBytes) {
                return bytes.clone();
            }
        };
    }
}
