package dev.idempotency.examples;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Writes the demo handlers' whole responses: a status, a type and a body of known length. */
final class Responses {

    /** The media type of the demo's own JSON bodies. */
    static final String JSON = "application/json";

    private Responses() {
    }

    /** Answers {@code status} with a JSON body. */
    static void json(HttpServletResponse response, int status, byte[] body) throws IOException {
        write(response, status, JSON, body);
    }

    /** Answers {@code status} with {@code body} of {@code contentType}. */
    static void write(HttpServletResponse response, int status, String contentType, byte[] body) throws IOException {
        response.setStatus(status);
        response.setContentType(contentType);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
