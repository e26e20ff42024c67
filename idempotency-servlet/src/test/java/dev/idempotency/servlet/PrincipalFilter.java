package dev.idempotency.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.security.Principal;

/**
 * Stands in for an authentication filter registered before the idempotency filter: a request with
 * {@code X-Test-User: alice} is authenticated as alice. With {@code X-Test-Parse-Parameters: true} it
 * reads the request's parameters first, as CSRF filters and Spring's {@code FormContentFilter} do, which
 * consumes a form body before the idempotency filter sees it.
 */
final class PrincipalFilter implements Filter {

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        if ("true".equals(http.getHeader("X-Test-Parse-Parameters"))) {
            http.getParameterMap();
        }
        String user = http.getHeader("X-Test-User");
        if (user == null) {
            chain.doFilter(request, response);
            return;
        }
        Principal principal = () -> user;
        chain.doFilter(new HttpServletRequestWrapper(http) {
            @Override
            public Principal getUserPrincipal() {
                return principal;
            }

            @Override
            public String getRemoteUser() {
                return user;
            }
        }, response);
    }
}
