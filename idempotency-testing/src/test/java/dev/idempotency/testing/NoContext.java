package dev.idempotency.testing;

import java.lang.reflect.Proxy;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An {@link ExtensionContext} that refuses every call, for driving an extension's callbacks by hand: it
 * proves the extensions decide their life cycle from the callbacks alone.
 */
final class NoContext {

    private NoContext() {
    }

    static ExtensionContext instance() {
        return (ExtensionContext) Proxy.newProxyInstance(NoContext.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("toString")) {
                        return "NoContext";
                    }
                    throw new UnsupportedOperationException("The extension asked its context for "
                            + method.getName());
                });
    }
}
