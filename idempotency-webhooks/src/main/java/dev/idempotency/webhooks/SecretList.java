package dev.idempotency.webhooks;

import dev.idempotency.IdempotencyConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The secrets a builder of {@link WebhookSigner} or {@link WebhookVerifier} collects: in the order given (the
 * current secret first during a rotation), none {@code null}, and at least one by the time it builds. Each call
 * replaces what an earlier one gave. Not thread-safe, as the builders are not.
 */
final class SecretList {

    private final List<WebhookSecret> secrets = new ArrayList<>();

    /** Replaces the secrets with these. */
    void replace(WebhookSecret... secrets) {
        Objects.requireNonNull(secrets, "secrets");
        replace(List.of(secrets));
    }

    /** Replaces the secrets with these. */
    void replace(List<WebhookSecret> secrets) {
        Objects.requireNonNull(secrets, "secrets");
        this.secrets.clear();
        for (WebhookSecret secret : secrets) {
            this.secrets.add(Objects.requireNonNull(secret, "secrets contains null"));
        }
    }

    /**
     * The secrets, as an immutable list.
     *
     * @param why what the built object needs them for, the refusal's message when there are none
     * @throws IdempotencyConfigException naming the setting {@code secrets} if none was given
     */
    List<WebhookSecret> required(String why) {
        if (secrets.isEmpty()) {
            throw IdempotencyConfigException.missing("secrets", why);
        }
        return List.copyOf(secrets);
    }
}
