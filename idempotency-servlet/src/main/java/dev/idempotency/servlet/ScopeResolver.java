package dev.idempotency.servlet;

import dev.idempotency.IdempotencyConfigException;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Names the client a request belongs to. Idempotency keys are kept per scope, so a key sent by one
 * client never finds another client's record. A covered request whose scope cannot be resolved is
 * refused with 400; it is never run in a shared scope.
 *
 * <p>Implementations must be thread-safe and fast: they run on every covered request.
 */
@FunctionalInterface
public interface ScopeResolver {

    /**
     * The client's scope, or empty when the request does not identify its client. Scopes longer than 512
     * characters are replaced by their SHA-256.
     */
    Optional<String> resolve(HttpServletRequest request);

    /** Where this resolver looks, for the 400 answer's {@code detail}: "the X-Api-Key header", say. */
    default String description() {
        return "the request (by " + getClass().getName() + ")";
    }

    /**
     * The authenticated principal's name ({@link HttpServletRequest#getUserPrincipal()}): the default.
     * Register the filter after the authentication filter so the principal is known.
     */
    static ScopeResolver principal() {
        return new ScopeResolver() {
            @Override
            public Optional<String> resolve(HttpServletRequest request) {
                Principal principal = request.getUserPrincipal();
                return principal == null ? Optional.empty()
                        : Optional.ofNullable(principal.getName()).filter(n -> !n.isEmpty()).map(n -> "principal:" + n);
            }

            @Override
            public String description() {
                return "the authenticated principal (no user is logged in)";
            }
        };
    }

    /**
     * A request header that identifies the client, such as an API key. The header's value is stored only
     * as its SHA-256, because it is often a credential; a request with the header missing, empty or
     * repeated is unresolved.
     */
    static ScopeResolver header(String headerName) {
        Objects.requireNonNull(headerName, "headerName");
        if (headerName.isBlank()) {
            throw new IllegalArgumentException("headerName must not be blank");
        }
        String prefix = "header:" + headerName.toLowerCase(Locale.ROOT) + ":";
        return new ScopeResolver() {
            @Override
            public Optional<String> resolve(HttpServletRequest request) {
                List<String> values = Collections.list(request.getHeaders(headerName));
                if (values.size() != 1 || values.get(0).isBlank()) {
                    return Optional.empty();
                }
                return Optional.of(prefix + sha256(values.get(0).trim()));
            }

            @Override
            public String description() {
                return "the " + headerName + " header (it must be present once)";
            }
        };
    }

    /**
     * The resolver named by a property value: {@code principal}, {@code header:<Name>}, or the class name
     * of a {@code ScopeResolver} with a public no-argument constructor.
     *
     * @throws IdempotencyConfigException naming {@code property} and {@code spec} if it names nothing usable
     */
    static ScopeResolver fromSpec(String property, String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.equals("principal")) {
            return principal();
        }
        if (s.startsWith("header:")) {
            String name = s.substring("header:".length()).trim();
            if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F && c != ':')) {
                throw IdempotencyConfigException.invalid(property, spec, "header:<Header-Name>, such as header:X-Api-Key");
            }
            return header(name);
        }
        if (s.isEmpty()) {
            throw IdempotencyConfigException.invalid(property, spec,
                    "principal, header:<Header-Name>, or the class name of a ScopeResolver");
        }
        try {
            Class<?> type = Class.forName(s, true, Thread.currentThread().getContextClassLoader() != null
                    ? Thread.currentThread().getContextClassLoader() : ScopeResolver.class.getClassLoader());
            if (!ScopeResolver.class.isAssignableFrom(type)) {
                throw IdempotencyConfigException.invalid(property, spec, "a class that implements "
                        + ScopeResolver.class.getName());
            }
            return (ScopeResolver) type.getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw IdempotencyConfigException.invalid(property, spec,
                    "principal, header:<Header-Name>, or the class name of a ScopeResolver (no such class)");
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
            throw IdempotencyConfigException.invalid(property, spec, "a ScopeResolver class with a public "
                    + "no-argument constructor");
        } catch (InvocationTargetException e) {
            throw IdempotencyConfigException.invalid(property, spec, "a ScopeResolver whose constructor succeeds ("
                    + e.getCause() + ")");
        }
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
