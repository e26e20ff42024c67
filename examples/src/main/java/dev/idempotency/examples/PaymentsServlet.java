package dev.idempotency.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.idempotency.IdempotencyContext;
import dev.idempotency.servlet.IdempotencyFilter;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code /payments}: paying through a downstream payment service ({@code POST /payments}), listing an
 * account's payments ({@code GET /payments?account_id=A}) and reading one ({@code GET /payments/{id}}).
 *
 * <p>{@code POST /payments} runs in the library's <em>lease mode</em> (the server configures
 * {@code leasePaths("/payments")}): its effect leaves the database, and holding a database transaction open
 * across an HTTP call would not make that call atomic anyway. The filter commits the key's claim at once
 * with a lease it renews while the handler runs, the handler runs outside any transaction, and the outcome
 * is stored afterwards. After a crash the lease expires and the client's retry runs the handler again, so
 * the handler makes each of its effects idempotent itself:
 * <ol>
 * <li>the charge: it passes the payment service the key {@code IdempotencyContext.derivedKey("charge")},
 * the same for every run of this request, so the service charges once (see {@link PaymentProvider});</li>
 * <li>the payment row: it commits on its own, before the outcome is stored, so a crash between the two
 * would let the retry write a second row. The row is therefore keyed by the same derived key (a unique
 * column), and the retry finds the row of the first run instead (see {@link PaymentRepository}).</li>
 * </ol>
 * Without either, the effect would be at least once, not exactly once.
 *
 * <p>Answers: 201 with {@code Location} and the payment as JSON; 400 problem naming an invalid field (text
 * the database cannot store exactly included, {@link TextFields}), before anything is charged;
 * 503 problem when the server has no payment service ({@code --payments-url} missing); 502 problem when
 * the service fails. 5xx answers are not stored, so a retry with the same key runs again.
 *
 * <p>Demo-only fault knobs, as on {@code /posts}: {@value PostsServlet#DELAY_HEADER}{@code : N} sleeps N
 * milliseconds after the charge and the row (a duplicate meanwhile gets 409 with a {@code Retry-After}
 * taken from the lease); {@value PostsServlet#FAIL_HEADER}{@code : true} fails after them (500; the lease
 * is released, and the retry charges with the same key and finds the same row).
 */
final class PaymentsServlet extends HttpServlet {

    /** The largest amount accepted, in minor units. */
    static final long MAX_AMOUNT = 100_000_000;

    /** The purpose the downstream charge's key is derived for. */
    static final String CHARGE_PURPOSE = "charge";

    private static final long serialVersionUID = 1L;

    private final transient PaymentRepository payments;
    private final transient PaymentProvider provider;
    private final transient ObjectMapper json;
    private final transient Clock clock;

    /** @param provider the payment service, or {@code null} when none is configured */
    PaymentsServlet(PaymentRepository payments, PaymentProvider provider, ObjectMapper json, Clock clock) {
        this.payments = Objects.requireNonNull(payments, "payments");
        this.provider = provider;
        this.json = Objects.requireNonNull(json, "json");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Pays {@code {"account_id": "...", "amount": N}} (N in minor units, 1 to {@value #MAX_AMOUNT}): charges
     * the payment service once, records the payment once, answers 201. Only {@code /payments} itself, the one
     * lease path, takes a POST: the {@link UnsupportedRequestFilter} in front answers one below it with 405.
     */
    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        JsonNode body;
        try {
            body = json.readTree(request.getInputStream());
        } catch (JsonProcessingException e) {
            Problems.badRequest(request, response, json, "The request body is not valid JSON: "
                    + e.getOriginalMessage());
            return;
        }
        if (body == null || !body.isObject()) {
            Problems.badRequest(request, response, json,
                    "The request body must be a JSON object such as {\"account_id\": \"a1\", \"amount\": 1250}");
            return;
        }
        String invalid = TextFields.invalidField(body, "account_id", PostRepository.MAX_ACCOUNT_ID_LENGTH);
        if (invalid == null) {
            invalid = invalidAmount(body.get("amount"));
        }
        if (invalid != null) {
            Problems.badRequest(request, response, json, invalid);
            return;
        }
        long delayMillis;
        try {
            delayMillis = PostsServlet.demoDelayMillis(request);
        } catch (IllegalArgumentException e) {
            Problems.badRequest(request, response, json, e.getMessage());
            return;
        }
        if (provider == null) {
            Problems.write(response, json, HttpServletResponse.SC_SERVICE_UNAVAILABLE, Problems.NO_PAYMENT_PROVIDER_TYPE,
                    "No payment provider", "no payment provider configured: start the server with --payments-url URL",
                    request.getRequestURI());
            return;
        }
        IdempotencyContext context = (IdempotencyContext) request.getAttribute(IdempotencyFilter.CONTEXT_ATTRIBUTE);
        if (context == null) {
            throw new ServletException("POST /payments ran without an idempotency context: the IdempotencyFilter "
                    + "must cover it");
        }
        String accountId = body.get("account_id").asText();
        long amount = body.get("amount").asLong();
        String chargeKey = context.derivedKey(CHARGE_PURPOSE);

        String chargeId;
        try {
            chargeId = provider.charge(chargeKey, accountId, amount);
        } catch (PaymentProvider.PaymentProviderException e) {
            log(e.getMessage());
            Problems.write(response, json, HttpServletResponse.SC_BAD_GATEWAY, Problems.PAYMENT_PROVIDER_FAILED_TYPE,
                    "Payment provider failed", "The payment provider did not confirm the charge. Retrying with the "
                            + "same Idempotency-Key is safe: it charges at most once.", request.getRequestURI());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServletException("Interrupted while charging", e);
        }
        Payment payment;
        try {
            payment = payments.record(chargeKey, accountId, amount, chargeId, clock.instant());
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not record the payment", e);
        }
        // Demo-only fault knobs, after the charge and the row: the window in which a crash leaves both
        // without a stored outcome, which the derived key makes safe to run again.
        if (delayMillis > 0) {
            PostsServlet.sleep(delayMillis);
        }
        if ("true".equalsIgnoreCase(request.getHeader(PostsServlet.FAIL_HEADER))) {
            throw new PostsServlet.DemoFailure("Failing after the charge and the payment row because the request "
                    + "carries " + PostsServlet.FAIL_HEADER + ": true (demo fault knob); a retry charges with the "
                    + "same key and finds the same row");
        }
        response.setHeader("Location", "/payments/" + payment.id());
        Responses.json(response, HttpServletResponse.SC_CREATED, json.writeValueAsBytes(payment.toJson(json)));
    }

    /**
     * {@code GET /payments?account_id=A} lists that account's payments in id order (400 without the
     * parameter); {@code GET /payments/{id}} answers one payment, or 404.
     */
    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String pathInfo = request.getPathInfo();
        if (pathInfo == null || pathInfo.equals("/")) {
            list(request, response);
            return;
        }
        Optional<Payment> payment;
        try {
            payment = payments.findById(Long.parseLong(pathInfo.substring(1)));
        } catch (NumberFormatException e) {
            payment = Optional.empty();
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not read a payment", e);
        }
        if (payment.isEmpty()) {
            Problems.notFound(request, response, json, "There is no payment " + request.getRequestURI());
            return;
        }
        Responses.json(response, HttpServletResponse.SC_OK, json.writeValueAsBytes(payment.get().toJson(json)));
    }

    private void list(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String accountId = request.getParameter("account_id");
        if (accountId == null || accountId.isBlank()) {
            Problems.badRequest(request, response, json,
                    "The query parameter account_id is required, as in /payments?account_id=a1");
            return;
        }
        String invalid = TextFields.invalidParameter("account_id", accountId);
        if (invalid != null) {
            Problems.badRequest(request, response, json, invalid);
            return;
        }
        ArrayNode list = json.createArrayNode();
        try {
            for (Payment payment : payments.findByAccount(accountId)) {
                list.add(payment.toJson(json));
            }
        } catch (SQLException e) {
            throw DatabaseUnavailableException.of("Could not list the payments of an account", e);
        }
        Responses.json(response, HttpServletResponse.SC_OK, json.writeValueAsBytes(list));
    }

    private static String invalidAmount(JsonNode value) {
        if (value == null || value.isNull()) {
            return "The field amount is missing";
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1 || value.asLong() > MAX_AMOUNT) {
            return "The field amount must be a whole number of minor units (cents) from 1 to " + MAX_AMOUNT + ", not "
                    + value;
        }
        return null;
    }
}
