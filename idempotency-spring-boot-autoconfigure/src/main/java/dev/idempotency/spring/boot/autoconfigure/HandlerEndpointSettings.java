package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyProperties;
import dev.idempotency.servlet.EndpointSettings;
import dev.idempotency.spring.Idempotent;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.http.server.PathContainer;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Settings per endpoint from {@link Idempotent} on the Spring MVC handler method a request maps to (or its
 * class), and from the {@code idempotency.endpoints.*} path rules. A method's annotation wins over its class's,
 * and either over a path rule. Every annotation and rule is read when the application starts, so a bad value
 * fails start-up rather than a request.
 *
 * <p>The handler is looked up with Spring MVC's own mappings before the request reaches the
 * {@code DispatcherServlet}, on a view of the request whose attributes are its own, so the lookup leaves
 * nothing behind for the real dispatch.
 */
final class HandlerEndpointSettings implements EndpointSettings, SmartInitializingSingleton {

    private static final Object NOT_SET = new Object();

    private final List<RequestMappingHandlerMapping> mappings;
    private final SettingsFactory settings;
    private final Map<String, IdempotencyConfigurationProperties.Endpoint> rules;
    private final List<Rule> compiledRules = new ArrayList<>();
    private final Map<Method, Object> annotated = new ConcurrentHashMap<>();
    private final Map<String, IdempotencyConfig> byMethodAndVerb = new ConcurrentHashMap<>();
    private volatile boolean anything;

    HandlerEndpointSettings(List<RequestMappingHandlerMapping> mappings, SettingsFactory settings,
            Map<String, IdempotencyConfigurationProperties.Endpoint> rules) {
        this.mappings = List.copyOf(mappings);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.rules = rules;
    }

    /** A path rule, resolved: its patterns and its settings (null: the protocol does not apply). */
    private record Rule(List<PathPattern> patterns, IdempotencyConfig config) {
        boolean matches(PathContainer path) {
            return patterns.stream().anyMatch(pattern -> pattern.matches(path));
        }
    }

    /** Reads every rule and every annotated handler method now, so that a bad value fails start-up. */
    @Override
    public void afterSingletonsInstantiated() {
        PathPatternParser parser = PathPatternParser.defaultInstance;
        rules.forEach((name, rule) -> {
            String where = "idempotency.endpoints." + name;
            if (rule.getPaths() == null || rule.getPaths().isEmpty()) {
                throw dev.idempotency.IdempotencyConfigException.missing(where + ".paths",
                        "an endpoint rule applies to the paths it lists, such as /legacy/**");
            }
            List<PathPattern> patterns = rule.getPaths().stream().map(parser::parse).toList();
            IdempotencyConfig config = Boolean.FALSE.equals(rule.getEnabled()) ? null
                    : settings.endpoint(where, SettingsFactory.overrides(rule.getKeyTtl(), rule.getMode(),
                            rule.getLeaseDuration(), rule.getRequired()), null);
            compiledRules.add(new Rule(patterns, config));
        });
        for (RequestMappingHandlerMapping mapping : mappings) {
            for (HandlerMethod handler : mapping.getHandlerMethods().values()) {
                annotationOf(handler);
            }
        }
        anything = !compiledRules.isEmpty() || annotated.values().stream().anyMatch(value -> value != NOT_SET);
    }

    @Override
    public IdempotencyConfig forRequest(HttpServletRequest request, IdempotencyConfig defaults) {
        if (!anything) {
            return defaults;
        }
        IsolatedRequest view = new IsolatedRequest(request);
        HandlerMethod handler = handlerOf(view);
        if (handler != null) {
            Object settingsOfMethod = annotationOf(handler);
            if (settingsOfMethod != NOT_SET) {
                Idempotent idempotent = (Idempotent) settingsOfMethod;
                if (!idempotent.enabled()) {
                    return null;
                }
                return byMethodAndVerb.computeIfAbsent(handler.getMethod().toGenericString() + " " + request.getMethod(),
                        key -> settingsFor(handler, idempotent, request.getMethod()));
            }
        }
        PathContainer path = ServletRequestPathUtils.parseAndCache(view).pathWithinApplication();
        for (Rule rule : compiledRules) {
            if (rule.matches(path)) {
                return rule.config();
            }
        }
        return defaults;
    }

    private HandlerMethod handlerOf(HttpServletRequest view) {
        for (RequestMappingHandlerMapping mapping : mappings) {
            try {
                ServletRequestPathUtils.parseAndCache(view);
                HandlerExecutionChain chain = mapping.getHandler(view);
                if (chain != null && chain.getHandler() instanceof HandlerMethod handler) {
                    return handler;
                }
            } catch (Exception e) {
                // No handler for this request (an unsupported media type, say): the dispatch answers that itself.
                return null;
            }
        }
        return null;
    }

    /** The method's annotation, else its class's, else {@link #NOT_SET}; read once per method. */
    private Object annotationOf(HandlerMethod handler) {
        return annotated.computeIfAbsent(handler.getMethod(), method -> {
            Idempotent onMethod = AnnotatedElementUtils.findMergedAnnotation(method, Idempotent.class);
            Idempotent found = onMethod != null ? onMethod
                    : AnnotatedElementUtils.findMergedAnnotation(handler.getBeanType(), Idempotent.class);
            if (found != null && found.enabled()) {
                // Read now, so that a bad value fails start-up: the global methods, then every HTTP method.
                settingsFor(handler, found, null);
            }
            return found == null ? NOT_SET : found;
        });
    }

    private IdempotencyConfig settingsFor(HandlerMethod handler, Idempotent idempotent, String httpMethod) {
        String where = "@Idempotent on " + handler.getBeanType().getSimpleName() + "." + handler.getMethod().getName();
        Map<String, String> overrides = new LinkedHashMap<>(SettingsFactory.overrides(null,
                idempotent.mode() == Idempotent.Mode.DEFAULT ? null : ExecutionMode.valueOf(idempotent.mode().name()),
                null, idempotent.key() == Idempotent.Key.DEFAULT ? null : idempotent.key() == Idempotent.Key.REQUIRED));
        overrides.put(IdempotencyProperties.KEY_TTL, idempotent.keyTtl().isEmpty() ? null : idempotent.keyTtl());
        overrides.put(IdempotencyProperties.LEASE_DURATION,
                idempotent.leaseDuration().isEmpty() ? null : idempotent.leaseDuration());
        return settings.endpoint(where, overrides, httpMethod);
    }

    /**
     * The request with attributes of its own: a handler lookup records what it matched in request attributes,
     * and the real dispatch must not find them.
     */
    private static final class IsolatedRequest extends HttpServletRequestWrapper {
        private final Map<String, Object> attributes = new HashMap<>();

        IsolatedRequest(HttpServletRequest request) {
            super(request);
        }

        @Override
        public Object getAttribute(String name) {
            return attributes.containsKey(name) ? attributes.get(name) : super.getAttribute(name);
        }

        @Override
        public Enumeration<String> getAttributeNames() {
            List<String> names = Collections.list(super.getAttributeNames());
            names.addAll(attributes.keySet());
            return Collections.enumeration(names);
        }

        @Override
        public void setAttribute(String name, Object value) {
            attributes.put(name, value);
        }

        @Override
        public void removeAttribute(String name) {
            attributes.put(name, null);
        }
    }

    /** For tests: whether anything needs a lookup. */
    boolean hasEndpointSettings() {
        return anything;
    }
}
