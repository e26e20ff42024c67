package dev.idempotency.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LeaseRenewalsTest {

    /** Counts its renewals. */
    private static final class CountingClaim implements Claim {
        final AtomicInteger renewals = new AtomicInteger();
        final CountDownLatch renewedTwice = new CountDownLatch(2);

        @Override
        public <T> T execute(Work<T> work) throws Exception {
            return work.run();
        }

        @Override
        public void complete(StoredResponse response, Instant expiresAt) {
        }

        @Override
        public void abandon() {
        }

        @Override
        public boolean renew() {
            renewals.incrementAndGet();
            renewedTwice.countDown();
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void renewsEveryThirdOfTheLeaseUntilClosedAndThenLeavesNoThread() throws Exception {
        Set<Thread> before = renewalThreads();
        CountingClaim claim = new CountingClaim();
        LeaseRenewals renewals = new LeaseRenewals();
        assertEquals(before, renewalThreads(), "no thread before the first lease");

        renewals.start(claim, Duration.ofMillis(30));
        assertTrue(claim.renewedTwice.await(10, TimeUnit.SECONDS), "the lease was not renewed");
        renewals.close();
        int atClose = claim.renewals.get();
        Thread.sleep(50);

        assertEquals(atClose, claim.renewals.get(), "a renewal after close");
        assertEquals(before, renewalThreads(), "the renewal thread outlived its owner");
    }

    /** The renewal threads alive now (engines of other tests may have theirs). */
    private static Set<Thread> renewalThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("idempotency-lease-renewal") && thread.isAlive())
                .collect(Collectors.toSet());
    }
}
