package dev.idempotency.internal;

import dev.idempotency.spi.Claim;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Renews the leases of running lease-mode requests, every third of the lease duration, on one shared
 * daemon thread: renewals are short store calls, and a daemon thread never keeps a JVM alive.
 */
public final class LeaseRenewals {

    private static final System.Logger LOG = System.getLogger(LeaseRenewals.class.getName());
    private static final ScheduledExecutorService RENEWER = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "idempotency-lease-renewal");
        thread.setDaemon(true);
        return thread;
    });

    private LeaseRenewals() {
    }

    /** Starts renewing {@code claim}'s lease; cancel the returned future when the handler returns. */
    public static ScheduledFuture<?> start(Claim claim, Duration leaseDuration) {
        long period = Math.max(1, leaseDuration.toMillis() / 3);
        ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
        Runnable renew = () -> {
            try {
                if (!claim.renew()) {
                    LOG.log(Level.WARNING, "A lease-mode request lost its lease (another request took its key over); "
                            + "its outcome will not be stored");
                    ScheduledFuture<?> future = self[0];
                    if (future != null) {
                        future.cancel(false);
                    }
                }
            } catch (RuntimeException e) {
                // The lease runs on; the next renewal tries again.
                LOG.log(Level.WARNING, "Renewing a lease failed; will retry", e);
            }
        };
        synchronized (self) {
            self[0] = RENEWER.scheduleWithFixedDelay(renew, period, period, TimeUnit.MILLISECONDS);
        }
        return self[0];
    }
}
