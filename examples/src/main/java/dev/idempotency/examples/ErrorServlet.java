package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;

/**
 * The error page: turns Jetty's error responses (an exception from a handler, an unknown path) into
 * problem JSON like every other answer of this API, instead of an HTML page that would also show the
 * exception's message to the client.
 *
 * <p>It runs on the ERROR dispatch, which the idempotency filter does not see, and a 5xx is never stored.
 * What a 5xx says of the failed request must be true where it is said: in transaction mode the filter has
 * rolled its writes back and freed its key; in lease mode ({@code POST /payments}) the charge and the
 * payment row stand, and the retry is safe for other reasons; a read changed nothing. A handler that met a
 * database that cannot serve ({@link DatabaseUnavailableException}) is answered 503 with {@code Retry-After},
 * as the filter answers a covered request that cannot claim its key.
 */
final class ErrorServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient ObjectMapper json;
    private final transient ContainerRefusals refusals;
    private final transient IdempotencyConfig config;

    /** @param config the idempotency filter's settings: which methods it covers, which paths run in lease mode */
    ErrorServlet(ObjectMapper json, ContainerRefusals refusals, IdempotencyConfig config) {
        this.json = Objects.requireNonNull(json, "json");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (request.getDispatcherType() != DispatcherType.ERROR) {
            // Requested directly, the error page is just a path that does not exist.
            Problems.notFound(request, response, json, "There is nothing at " + request.getRequestURI());
            return;
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer c ? c : HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        String path = uri instanceof String s ? s : request.getRequestURI();
        if (status == HttpServletResponse.SC_NOT_FOUND) {
            Problems.write(response, json, status, Problems.NOT_FOUND_TYPE, "Not found",
                    "There is nothing at " + path, path);
        } else if (status >= 500) {
            // The cause stays in the server's log; clients learn only what they can act on, and what is true of
            // this request: whether anything of it was kept depends on its path, its method and its mode.
            if (DatabaseUnavailableException.in((Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION))) {
                long seconds = config.retryAfter().toSeconds();
                response.setHeader("Retry-After", Long.toString(seconds));
                Problems.write(response, json, HttpServletResponse.SC_SERVICE_UNAVAILABLE,
                        Problems.DATABASE_UNAVAILABLE_TYPE, "Database unavailable", "The database cannot serve the "
                                + "request now. " + whatWasKept(request.getMethod(), path) + " Retry after " + seconds
                                + (seconds == 1 ? " second." : " seconds."), path);
            } else {
                Problems.write(response, json, status, Problems.SERVER_ERROR_TYPE, "Internal server error",
                        ("The server could not complete the request. " + whatWasKept(request.getMethod(), path))
                                .strip(), path);
            }
        } else {
            // A 4xx the container raised (the handlers write their own): a body too slow, a path it refuses.
            // Its message is read only to tell which, never passed on: it can quote what the client sent.
            Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
            ContainerRefusals.Refusal refusal = refusals.describe(status, message instanceof String m ? m : null);
            Problems.write(response, json, status, refusal.type(), refusal.title(), refusal.detail(), path);
        }
    }

    /**
     * What is left of a request that failed in its handler, and what a retry does: the part of a 5xx's detail
     * that must be true for this path, method and mode.
     */
    String whatWasKept(String method, String path) {
        if (PublishingApiServer.isIdempotentPath(path) && config.covers(method)) {
            if (config.modeFor(path) == ExecutionMode.LEASE) {
                return "In lease mode what the request did before it failed stands: the charge and the payment row "
                        + "may already exist. Retrying with the same Idempotency-Key is safe: the retry charges with "
                        + "the same derived key, so the payment service charges at most once, and it finds the "
                        + "payment row instead of writing a second.";
            }
            return "Nothing the request did was kept: its writes were rolled back and its key freed, so retrying "
                    + "with the same Idempotency-Key runs it again.";
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            return "The request only reads, so it changed nothing, and sending it again is safe.";
        }
        if (path.equals(PublishingApiServer.WEBHOOK_PATH)) {
            return "Nothing was recorded: the receipt and the inbox's marker roll back together, so the same "
                    + "webhook-id sent again is processed again.";
        }
        return "";
    }
}
