package dev.idempotency.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;

/**
 * The client of the downstream payment service that {@code POST /payments} charges, at
 * {@code --payments-url URL}. The protocol is the usual one of payment APIs:
 *
 * <pre>
 * POST URL/charges
 * Idempotency-Key: &lt;key&gt;
 * Content-Type: application/json
 *
 * {"account_id": "acct-42", "amount": 1250}
 * </pre>
 *
 * answered 200 or 201 with {@code {"id": "<charge id>", ...}}; the service charges once per key and answers
 * the same charge to a repeated key. The demo passes the key derived from the client's
 * {@code Idempotency-Key} ({@code IdempotencyContext.derivedKey("charge")}), so every run of one request,
 * before and after a crash, charges once.
 */
final class PaymentProvider {

    /** How long to wait for the service to accept a connection. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** How long to wait for the service's answer. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final URI charges;
    private final ObjectMapper json;
    private final HttpClient http;

    PaymentProvider(URI baseUrl, ObjectMapper json) {
        Objects.requireNonNull(baseUrl, "baseUrl");
        String base = baseUrl.toString();
        this.charges = URI.create((base.endsWith("/") ? base : base + "/") + "charges");
        this.json = Objects.requireNonNull(json, "json");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    /** Where charges are sent: {@code URL/charges}. */
    URI chargesUri() {
        return charges;
    }

    /**
     * Charges {@code amount} to {@code accountId}, once per {@code idempotencyKey}.
     *
     * @return the service's charge id (the same for every call with the same key)
     * @throws PaymentProviderException if the service cannot be reached or does not answer with a charge
     */
    String charge(String idempotencyKey, String accountId, long amount)
            throws PaymentProviderException, InterruptedException {
        byte[] body;
        try {
            body = json.writeValueAsBytes(json.createObjectNode().put("account_id", accountId).put("amount", amount));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = HttpRequest.newBuilder(charges)
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new PaymentProviderException("The payment provider at " + charges + " could not be reached: " + e, e);
        }
        if (response.statusCode() != 200 && response.statusCode() != 201) {
            throw new PaymentProviderException("The payment provider at " + charges + " answered "
                    + response.statusCode(), null);
        }
        try {
            JsonNode id = json.readTree(response.body()).path("id");
            if (id.isTextual() && !id.asText().isBlank()) {
                return id.asText();
            }
        } catch (IOException e) {
            // Reported below: an answer without a charge id is as useless as an unreadable one.
        }
        throw new PaymentProviderException("The payment provider at " + charges + " answered "
                + response.statusCode() + " without a charge id", null);
    }

    /**
     * The payment service did not confirm a charge. It may have made one all the same (a timeout after it
     * charged, say): a retry with the same key finds out without charging twice.
     */
    static final class PaymentProviderException extends Exception {

        private static final long serialVersionUID = 1L;

        PaymentProviderException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
