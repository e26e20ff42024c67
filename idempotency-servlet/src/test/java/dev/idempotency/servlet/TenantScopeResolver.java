package dev.idempotency.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/** A resolver named by class in {@code idempotency.scope}: the {@code X-Tenant} header, as is. */
public final class TenantScopeResolver implements ScopeResolver {

    public TenantScopeResolver() {
    }

    @Override
    public Optional<String> resolve(HttpServletRequest request) {
        return Optional.ofNullable(request.getHeader("X-Tenant")).filter(t -> !t.isBlank()).map(t -> "tenant:" + t);
    }

    @Override
    public String description() {
        return "the X-Tenant header";
    }
}
