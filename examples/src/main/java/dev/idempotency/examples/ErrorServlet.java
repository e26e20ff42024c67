package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
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
 * <p>It runs on the ERROR dispatch, which the idempotency filter does not see: by then the filter has
 * already rolled the request's effects back and freed its key, and a 5xx is never stored anyway.
 */
final class ErrorServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient ObjectMapper json;
    private final transient ContainerRefusals refusals;

    ErrorServlet(ObjectMapper json, ContainerRefusals refusals) {
        this.json = Objects.requireNonNull(json, "json");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
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
            // The cause stays in the server's log; clients learn only what they can act on.
            Problems.write(response, json, status, Problems.SERVER_ERROR_TYPE, "Internal server error",
                    "The server could not complete the request. Nothing it did was kept, so retrying with the "
                            + "same Idempotency-Key runs it again.", path);
        } else {
            // A 4xx the container raised (the handlers write their own): a body too slow, a path it refuses.
            // Its message is read only to tell which, never passed on: it can quote what the client sent.
            Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
            ContainerRefusals.Refusal refusal = refusals.describe(status, message instanceof String m ? m : null);
            Problems.write(response, json, status, refusal.type(), refusal.title(), refusal.detail(), path);
        }
    }
}
