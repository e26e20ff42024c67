package dev.idempotency.servlet;

import dev.idempotency.IdempotencyConfig;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Settings per endpoint: which {@link IdempotencyConfig} a request runs with, or that the protocol does not
 * apply to it at all. A framework integration implements it from what the request maps to (an annotation
 * on the handler method, path rules); without one, every request runs with the filter's settings.
 *
 * <p>Called once per request the filter sees, on the request's thread, before the body is read; it must be
 * thread-safe. Return the same {@code IdempotencyConfig} instance for every request of one endpoint: the
 * filter keeps one engine per distinct instance.
 */
@FunctionalInterface
public interface EndpointSettings {

    /**
     * The settings {@code request} runs with.
     *
     * @param request the request, before the filter has read its body
     * @param defaults the filter's own settings
     * @return {@code defaults}, other settings for the request's endpoint, or {@code null} when the protocol
     *     does not apply to the endpoint (the request passes through untouched, whatever its method)
     */
    IdempotencyConfig forRequest(HttpServletRequest request, IdempotencyConfig defaults);

    /** Every request runs with the filter's settings. */
    static EndpointSettings defaults() {
        return (request, defaults) -> defaults;
    }
}
