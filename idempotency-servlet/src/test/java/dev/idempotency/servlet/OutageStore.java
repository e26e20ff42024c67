package dev.idempotency.servlet;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.net.ConnectException;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real store (the app's {@link StoreUnderTest}) that fails the way a database store fails when the test
 * says so: unreachable while claiming, unreachable while storing the outcome, or failing to store it
 * otherwise. A failed {@link Claim#complete} keeps nothing, as the {@link Claim} contract requires.
 */
final class OutageStore implements IdempotencyStore {

    /** What fails. */
    enum Outage {
        NONE, CLAIM_UNREACHABLE, COMPLETE_UNREACHABLE, COMPLETE_FAILS
    }

    private final IdempotencyStore delegate;
    private final AtomicReference<Outage> outage = new AtomicReference<>(Outage.NONE);

    OutageStore(IdempotencyStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    void fail(Outage outage) {
        this.outage.set(outage);
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        if (outage.get() == Outage.CLAIM_UNREACHABLE) {
            throw new StoreUnavailableException("database unreachable", new ConnectException("Connection refused"));
        }
        ClaimResult result = delegate.claim(request);
        return result instanceof ClaimResult.Acquired acquired
                ? new ClaimResult.Acquired(new FailingClaim(acquired.claim()))
                : result;
    }

    @Override
    public int purgeExpired(Instant now, int limit) {
        return delegate.purgeExpired(now, limit);
    }

    private final class FailingClaim implements Claim {

        private final Claim claim;

        FailingClaim(Claim claim) {
            this.claim = claim;
        }

        @Override
        public <T> T execute(Work<T> work) throws Exception {
            return claim.execute(work);
        }

        @Override
        public void complete(StoredResponse response, Instant expiresAt) {
            switch (outage.get()) {
                case COMPLETE_UNREACHABLE -> {
                    claim.abandon();
                    throw new StoreUnavailableException("connection lost before commit",
                            new ConnectException("Connection reset"));
                }
                case COMPLETE_FAILS -> {
                    claim.abandon();
                    throw new StoreException("relation \"idempotency_record\" does not exist");
                }
                default -> claim.complete(response, expiresAt);
            }
        }

        @Override
        public void abandon() {
            claim.abandon();
        }

        @Override
        public void close() {
            claim.close();
        }
    }
}
