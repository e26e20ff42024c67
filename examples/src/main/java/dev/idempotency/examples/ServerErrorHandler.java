package dev.idempotency.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The server's own error handler: answers, as problem JSON like every other answer of the demo, the
 * requests Jetty refuses before any filter or servlet runs, and so before the servlet context's error page
 * ({@link ErrorServlet}) could: a malformed request line or header, a bad {@code Content-Length}, headers or a
 * URI too large, an ambiguous path. Jetty's default writes an HTML page with its reason, which can quote the
 * offending header or path back to the client.
 *
 * <p>The detail comes from {@link ContainerRefusals}, which never passes on what the client sent; the
 * problem has no {@code instance} for the same reason (the path may be the very thing that was refused).
 */
final class ServerErrorHandler extends ErrorHandler {

    private final ObjectMapper json;
    private final ContainerRefusals refusals;

    ServerErrorHandler(ObjectMapper json, ContainerRefusals refusals) {
        this.json = Objects.requireNonNull(json, "json");
        this.refusals = Objects.requireNonNull(refusals, "refusals");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        int status = response.getStatus();
        Throwable cause = (Throwable) request.getAttribute(ERROR_EXCEPTION);
        Object message = request.getAttribute(ERROR_MESSAGE);
        String reason = message instanceof String text ? text : null;
        if (cause instanceof HttpException http) {
            status = http.getCode();
            response.setStatus(status);
            reason = http.getReason();
        }
        response.getHeaders().put(ERROR_CACHE_CONTROL);
        if (HttpStatus.hasNoBody(status) || HttpMethod.HEAD.is(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        ContainerRefusals.Refusal refusal = refusals.describe(status, reason);
        byte[] body = Problems.document(json, status, refusal.type(), refusal.title(), refusal.detail(), null);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problems.MEDIA_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
