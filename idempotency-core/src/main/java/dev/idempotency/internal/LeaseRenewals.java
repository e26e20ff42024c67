package dev.idempotency.internal;

import dev.idempotency.spi.Claim;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * Renews the leases of running lease-mode requests, every third of the lease duration, on one thread
 * ({@code idempotency-lease-renewal}), started at the first renewal: renewals are short store calls. The
 * engine that runs the requests owns it and closes it when it is closed.
 */
public final class LeaseRenewals implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LeaseRenewals.class.getName());

    private final Scheduler scheduler = Scheduler.create("lease-renewal", 1);

    /**
     * Starts renewing {@code claim}'s lease; cancel the returned future when the handler returns.
     *
     * @throws java.util.concurrent.RejectedExecutionException after {@link #close()}
     */
    public ScheduledFuture<?> start(Claim claim, Duration leaseDuration) {
        ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        Runnable renew = () -> {
            try {
                if (!claim.renew()) {
                    LOG.log(Level.WARNING, "A lease-mode request lost its lease (another request took its key over); "
                            + "its outcome will not be stored");
                    synchronized (self) {
                        self[0].cancel(false);
                    }
                }
            } catch (RuntimeException e) {
                // The lease runs on; the next renewal tries again.
                LOG.log(Level.WARNING, "Renewing a lease failed; will retry", e);
            }
        };
        synchronized (self) {
            self[0] = scheduler.repeat(Duration.ofMillis(Math.max(1, leaseDuration.toMillis() / 3)), renew);
            return self[0];
        }
    }

    /** Stops renewing: leases of requests still running then run out. Returns once the thread has ended. */
    @Override
    public void close() {
        scheduler.close();
    }
}
