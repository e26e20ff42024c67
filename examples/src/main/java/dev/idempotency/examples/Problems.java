package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Writes the demo's RFC 9457 problem responses ({@code application/problem+json}), in the same shape as
 * the library's: {@code type}, {@code title}, {@code status}, {@code detail}, {@code instance}. Every answer
 * of the demo that is not a success is one: its handlers', its error page's ({@link ErrorServlet}) and the
 * server's own ({@link ServerErrorHandler}).
 *
 * <p>A 4xx written here by a POST handler is an outcome like any other: the idempotency filter stores it
 * and replays it to a retry with the same key.
 */
final class Problems {

    /** The media type of a problem response. */
    static final String MEDIA_TYPE = "application/problem+json";

    /** The {@code type} of a request the demo's handlers cannot accept. */
    static final String INVALID_REQUEST_TYPE = "urn:idempotency-example:problem:invalid-request";

    /** The {@code type} of a request for something that does not exist. */
    static final String NOT_FOUND_TYPE = "urn:idempotency-example:problem:not-found";

    /** The {@code type} of a request whose method the resource does not support. */
    static final String METHOD_NOT_ALLOWED_TYPE = "urn:idempotency-example:problem:method-not-allowed";

    /** The {@code type} of a request whose body is in a content coding (gzip, say), which the demo does not decode. */
    static final String UNSUPPORTED_CONTENT_ENCODING_TYPE =
            "urn:idempotency-example:problem:unsupported-content-encoding";

    /** The {@code type} of {@code POST /payments} on a server started without {@code --payments-url}. */
    static final String NO_PAYMENT_PROVIDER_TYPE = "urn:idempotency-example:problem:no-payment-provider";

    /** The {@code type} of a payment the downstream payment service did not confirm. */
    static final String PAYMENT_PROVIDER_FAILED_TYPE = "urn:idempotency-example:problem:payment-provider-failed";

    /** The {@code type} of a request the database could not serve in time (down, unreachable, its pool taken). */
    static final String DATABASE_UNAVAILABLE_TYPE = "urn:idempotency-example:problem:database-unavailable";

    /** The {@code type} of a failure on the server's side. */
    static final String SERVER_ERROR_TYPE = "urn:idempotency-example:problem:server-error";

    private Problems() {
    }

    /**
     * Answers 400 with a problem whose {@code detail} tells the client what to fix, such as which field is
     * missing.
     */
    static void badRequest(HttpServletRequest request, HttpServletResponse response, ObjectMapper json,
            String detail) throws IOException {
        write(request, response, json, HttpServletResponse.SC_BAD_REQUEST, INVALID_REQUEST_TYPE, "Invalid request",
                detail);
    }

    /** Answers 404 with a problem saying what was not found. */
    static void notFound(HttpServletRequest request, HttpServletResponse response, ObjectMapper json,
            String detail) throws IOException {
        write(request, response, json, HttpServletResponse.SC_NOT_FOUND, NOT_FOUND_TYPE, "Not found", detail);
    }

    /** Answers 405 with {@code Allow: allowed} and a problem saying which methods the resource supports. */
    static void methodNotAllowed(HttpServletRequest request, HttpServletResponse response, ObjectMapper json,
            String allowed) throws IOException {
        response.setHeader("Allow", allowed);
        write(request, response, json, HttpServletResponse.SC_METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED_TYPE,
                "Method not allowed", request.getMethod() + " is not supported here; use " + allowed);
    }

    private static void write(HttpServletRequest request, HttpServletResponse response, ObjectMapper json,
            int status, String type, String title, String detail) throws IOException {
        write(response, json, status, type, title, detail, request.getRequestURI());
    }

    /** Writes a problem; {@code instance} is the path the problem is about. */
    static void write(HttpServletResponse response, ObjectMapper json, int status, String type, String title,
            String detail, String instance) throws IOException {
        Responses.write(response, status, MEDIA_TYPE, document(json, status, type, title, detail, instance));
    }

    /**
     * The problem document itself, for a writer that is not a servlet's (the server's own error handler, which
     * answers requests no servlet saw); {@code instance} may be {@code null}, and is then left out.
     */
    static byte[] document(ObjectMapper json, int status, String type, String title, String detail,
            String instance) throws IOException {
        ObjectNode problem = json.createObjectNode()
                .put("type", type)
                .put("title", title)
                .put("status", status)
                .put("detail", detail);
        if (instance != null) {
            problem.put("instance", instance);
        }
        return json.writeValueAsBytes(problem);
    }
}
