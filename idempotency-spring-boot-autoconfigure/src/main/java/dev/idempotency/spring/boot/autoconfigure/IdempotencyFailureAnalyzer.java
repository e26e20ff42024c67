package dev.idempotency.spring.boot.autoconfigure;

import dev.idempotency.IdempotencyConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start-up that failed on an idempotency setting: which property (or annotation, or rule) has which
 * value, and what a valid one looks like. The library's messages never show a password.
 */
class IdempotencyFailureAnalyzer extends AbstractFailureAnalyzer<IdempotencyConfigException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, IdempotencyConfigException cause) {
        String description = "The idempotency settings could not be used: " + cause.getMessage();
        String action = "Change " + cause.setting() + " (in application.properties, an environment variable such as "
                + environmentName(cause.setting()) + ", or wherever it is set) to a value the message above accepts.";
        return new FailureAnalysis(description, action, cause);
    }

    /** The environment variable Spring Boot maps to a property, for the properties that have one. */
    private static String environmentName(String setting) {
        if (setting == null || !setting.startsWith("idempotency.") || setting.contains(" ")) {
            return "IDEMPOTENCY_KEY_TTL";
        }
        return setting.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
