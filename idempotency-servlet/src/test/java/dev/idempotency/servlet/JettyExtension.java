package dev.idempotency.servlet;

import java.util.Objects;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a fresh {@link JettyApp} (new store, handler counts at zero) before each test and stops it after;
 * test methods receive it as a {@link JettyApp} parameter.
 *
 * <pre>{@code
 * @RegisterExtension
 * final JettyExtension jetty = new JettyExtension(app -> app.config(IdempotencyConfig.custom().required(false).build()));
 *
 * @Test
 * void passesThrough(JettyApp app) { ... }
 * }</pre>
 */
final class JettyExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

    private final UnaryOperator<JettyApp.Builder> setup;
    private JettyApp app;

    /** The default app: default settings, keys scoped by {@code X-Api-Key}. */
    JettyExtension() {
        this(UnaryOperator.identity());
    }

    JettyExtension(UnaryOperator<JettyApp.Builder> setup) {
        this.setup = Objects.requireNonNull(setup, "setup");
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        app = setup.apply(JettyApp.builder()).start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (app != null) {
            app.close();
            app = null;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == JettyApp.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return app;
    }

    JettyApp app() {
        return app;
    }
}
