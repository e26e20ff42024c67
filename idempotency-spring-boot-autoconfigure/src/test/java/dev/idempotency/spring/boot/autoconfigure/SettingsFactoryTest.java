package dev.idempotency.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.ClaimStrategy;
import dev.idempotency.ExecutionMode;
import dev.idempotency.IdempotencyConfig;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.StandardEnvironment;

/** Endpoint settings over the global ones, where they meet the optimistic claim. */
class SettingsFactoryTest {

    private final SettingsFactory settings = SettingsFactory.of(optimistic(), new StandardEnvironment());

    private static IdempotencyConfigurationProperties optimistic() {
        IdempotencyConfigurationProperties bound = new IdempotencyConfigurationProperties();
        bound.setClaim(ClaimStrategy.OPTIMISTIC);
        return bound;
    }

    @Test
    void aLeasedEndpointClaimsWithItsLeaseUnderAGlobalOptimisticClaim() {
        IdempotencyConfig leased = settings.endpoint("rule payments",
                SettingsFactory.overrides(null, ExecutionMode.LEASE, null, null), null);
        assertThat(leased.mode()).isEqualTo(ExecutionMode.LEASE);
        assertThat(leased.claim()).isEqualTo(ClaimStrategy.PESSIMISTIC);
    }

    @Test
    void aTransactionModeEndpointKeepsTheGlobalOptimisticClaim() {
        assertThat(settings.global().claim()).isEqualTo(ClaimStrategy.OPTIMISTIC);
        IdempotencyConfig transaction = settings.endpoint("rule orders",
                SettingsFactory.overrides(null, ExecutionMode.TRANSACTION, null, null), null);
        assertThat(transaction.claim()).isEqualTo(ClaimStrategy.OPTIMISTIC);
    }
}
