package dev.idempotency.jdbc.outbox;

import dev.idempotency.IdempotencyConfigException;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link OutboxRelay} claims, publishes, retries and cleans up; immutable.
 *
 * <pre>{@code
 * OutboxRelayConfig config = OutboxRelayConfig.custom()
 *         .maxAttempts(10)
 *         .initialBackoff(Duration.ofSeconds(1))
 *         .build();
 * }</pre>
 *
 * <p><b>Backoff.</b> After failed attempt {@code n} (1, 2, ...) the next attempt is due after
 * {@code min(maxBackoff, initialBackoff × 2^(n−1))}, multiplied by a random factor from 0.5 to 1 ("equal
 * jitter", so relays that failed together do not retry together). If the publisher returned a wait
 * ({@code Retry-After}), the delay is at least that wait, capped at {@code maxBackoff}. With the defaults
 * (5 s doubling up to 6 h, 24 attempts) a message is retried for about 36 to 71 hours before it is dead, which
 * covers a receiver's weekend-long outage the way Stripe's 3 days of retries do.
 */
public final class OutboxRelayConfig {

    /** Messages claimed per batch. */
    public static final int DEFAULT_BATCH_SIZE = 100;

    /** Attempts before a message is marked dead. */
    public static final int DEFAULT_MAX_ATTEMPTS = 24;

    /** The delay after the first failed attempt, before jitter. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(5);

    /** The longest delay between two attempts, also the cap on a publisher's requested wait. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofHours(6);

    /** How long a claimed message stays leased to the relay that claimed it. */
    public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(60);

    /** Publisher calls a relay makes at once. */
    public static final int DEFAULT_PUBLISH_CONCURRENCY = 8;

    /** How long a started relay waits after a batch that was not full. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);

    /** How long delivered messages are kept: zero, they are deleted when marked. */
    public static final Duration DEFAULT_DELIVERED_RETENTION = Duration.ZERO;

    private static final OutboxRelayConfig DEFAULTS = new Builder().build();

    private final int batchSize;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final boolean orderedPerKey;
    private final Duration leaseDuration;
    private final int publishConcurrency;
    private final Duration pollInterval;
    private final Duration deliveredRetention;

    private OutboxRelayConfig(Builder builder) {
        this.batchSize = builder.batchSize;
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.orderedPerKey = builder.orderedPerKey;
        this.leaseDuration = builder.leaseDuration;
        this.publishConcurrency = builder.publishConcurrency;
        this.pollInterval = builder.pollInterval;
        this.deliveredRetention = builder.deliveredRetention;
    }

    /** The defaults: the {@code DEFAULT_*} constants, ordered per key. */
    public static OutboxRelayConfig ofDefaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** A builder starting from {@code base}. */
    public static Builder from(OutboxRelayConfig base) {
        Objects.requireNonNull(base, "base");
        Builder builder = new Builder();
        builder.batchSize = base.batchSize;
        builder.maxAttempts = base.maxAttempts;
        builder.initialBackoff = base.initialBackoff;
        builder.maxBackoff = base.maxBackoff;
        builder.orderedPerKey = base.orderedPerKey;
        builder.leaseDuration = base.leaseDuration;
        builder.publishConcurrency = base.publishConcurrency;
        builder.pollInterval = base.pollInterval;
        builder.deliveredRetention = base.deliveredRetention;
        return builder;
    }

    /** Messages claimed per batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Attempts before a message is marked dead. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The delay after the first failed attempt, before jitter. */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** The longest delay between two attempts. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** Whether messages of one key are published one after the other, in the order they were enqueued. */
    public boolean orderedPerKey() {
        return orderedPerKey;
    }

    /** How long a claimed message stays leased to its relay. */
    public Duration leaseDuration() {
        return leaseDuration;
    }

    /** Publisher calls a relay makes at once. */
    public int publishConcurrency() {
        return publishConcurrency;
    }

    /** How long a started relay waits after a batch that was not full. */
    public Duration pollInterval() {
        return pollInterval;
    }

    /** How long delivered messages are kept; zero deletes them when they are marked. */
    public Duration deliveredRetention() {
        return deliveredRetention;
    }

    /**
     * The delay before the attempt after failed attempt {@code failedAttempt}, before jitter:
     * {@code min(maxBackoff, initialBackoff × 2^(failedAttempt−1))}.
     *
     * @throws IllegalArgumentException if {@code failedAttempt} is less than 1
     */
    public Duration backoff(int failedAttempt) {
        if (failedAttempt < 1) {
            throw new IllegalArgumentException("failedAttempt must be at least 1, not " + failedAttempt);
        }
        int doublings = Math.min(failedAttempt - 1, 62);
        long maxMillis = maxBackoff.toMillis();
        long initialMillis = initialBackoff.toMillis();
        if (doublings >= 62 || initialMillis > (maxMillis >> doublings)) {
            return maxBackoff;
        }
        return Duration.ofMillis(initialMillis << doublings);
    }

    @Override
    public String toString() {
        return "OutboxRelayConfig[batchSize=" + batchSize + ", maxAttempts=" + maxAttempts + ", initialBackoff="
                + initialBackoff + ", maxBackoff=" + maxBackoff + ", orderedPerKey=" + orderedPerKey
                + ", leaseDuration=" + leaseDuration + ", publishConcurrency=" + publishConcurrency
                + ", pollInterval=" + pollInterval + ", deliveredRetention=" + deliveredRetention + "]";
    }

    /** Builds an {@link OutboxRelayConfig}; each setting is checked when it is set. */
    public static final class Builder {

        private int batchSize = DEFAULT_BATCH_SIZE;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private boolean orderedPerKey = true;
        private Duration leaseDuration = DEFAULT_LEASE_DURATION;
        private int publishConcurrency = DEFAULT_PUBLISH_CONCURRENCY;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration deliveredRetention = DEFAULT_DELIVERED_RETENTION;

        private Builder() {
        }

        /** Messages claimed per batch (one short transaction claims them all), 1 to 10000; default 100. */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1 || batchSize > 10_000) {
                throw IdempotencyConfigException.invalid("batchSize", batchSize, "a number from 1 to 10000");
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Attempts before a message is marked dead, 1 to 1000; default 24. An attempt whose outcome was lost
         * (the relay stopped or lost its lease mid-publish) counts.
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1 || maxAttempts > 1000) {
                throw IdempotencyConfigException.invalid("maxAttempts", maxAttempts, "a number from 1 to 1000");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** The delay after the first failed attempt, before jitter, 1 ms to 1 day; default 5 s. */
        public Builder initialBackoff(Duration initialBackoff) {
            if (initialBackoff == null || initialBackoff.compareTo(Duration.ofMillis(1)) < 0
                    || initialBackoff.compareTo(Duration.ofDays(1)) > 0) {
                throw IdempotencyConfigException.invalid("initialBackoff", initialBackoff, "a duration from 1ms to 1d");
            }
            this.initialBackoff = initialBackoff;
            return this;
        }

        /**
         * The longest delay between two attempts, 1 ms to 30 days; default 6 h. Also caps how long a
         * publisher's requested wait ({@code Retry-After}) is honoured. {@link #build()} checks that it is
         * not shorter than the initial backoff.
         */
        public Builder maxBackoff(Duration maxBackoff) {
            if (maxBackoff == null || maxBackoff.compareTo(Duration.ofMillis(1)) < 0
                    || maxBackoff.compareTo(Duration.ofDays(30)) > 0) {
                throw IdempotencyConfigException.invalid("maxBackoff", maxBackoff, "a duration from 1ms to 30d");
            }
            this.maxBackoff = maxBackoff;
            return this;
        }

        /**
         * Whether messages with the same key are published one at a time, in the order they were enqueued;
         * default {@code true}. A message of a key is then not published before every earlier message of
         * that key was delivered: one that is failing (backing off) or dead blocks the later messages of its
         * key, and only those, until it is delivered, re-queued and delivered, or discarded. Messages
         * without a key are never held back. Every relay of one outbox must use the same setting.
         */
        public Builder orderedPerKey(boolean orderedPerKey) {
            this.orderedPerKey = orderedPerKey;
            return this;
        }

        /**
         * How long claimed messages stay leased to the relay that claimed them, 1 s to 1 h; default 60 s.
         * Another relay claims them again only after the lease, so a relay that stopped mid-batch delays
         * its messages by up to this long. The relay starts no publication after its lease ended; choose a
         * lease longer than the publisher's timeout, or a publication may run beside a re-publication.
         */
        public Builder leaseDuration(Duration leaseDuration) {
            if (leaseDuration == null || leaseDuration.compareTo(Duration.ofSeconds(1)) < 0
                    || leaseDuration.compareTo(Duration.ofHours(1)) > 0) {
                throw IdempotencyConfigException.invalid("leaseDuration", leaseDuration, "a duration from 1s to 1h");
            }
            this.leaseDuration = leaseDuration;
            return this;
        }

        /**
         * How many publisher calls one relay makes at once, on threads of its own, 1 to 256; default 8.
         * With ordering, the messages of one key in a batch go through one thread, one after the other.
         * 1 publishes on the thread that runs the batch.
         */
        public Builder publishConcurrency(int publishConcurrency) {
            if (publishConcurrency < 1 || publishConcurrency > 256) {
                throw IdempotencyConfigException.invalid("publishConcurrency", publishConcurrency,
                        "a number from 1 to 256");
            }
            this.publishConcurrency = publishConcurrency;
            return this;
        }

        /**
         * How long a started relay waits for new messages after a batch that was not full, 1 ms to 1 h;
         * default 500 ms. It bounds the delay between a commit and the message's first publication.
         */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval == null || pollInterval.compareTo(Duration.ofMillis(1)) < 0
                    || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw IdempotencyConfigException.invalid("pollInterval", pollInterval, "a duration from 1ms to 1h");
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * How long delivered messages are kept (for audit or replay by hand), 0 to 3650 days; default zero,
         * which deletes a message in the transaction that marks it delivered. Kept messages are deleted by
         * a started relay about once a minute, in batches, once they are older than this.
         */
        public Builder deliveredRetention(Duration deliveredRetention) {
            if (deliveredRetention == null || deliveredRetention.isNegative()
                    || deliveredRetention.compareTo(Duration.ofDays(3650)) > 0) {
                throw IdempotencyConfigException.invalid("deliveredRetention", deliveredRetention,
                        "0 or a duration up to 3650d");
            }
            this.deliveredRetention = deliveredRetention;
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IdempotencyConfigException if the maximum backoff is shorter than the initial one
         */
        public OutboxRelayConfig build() {
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw IdempotencyConfigException.inconsistent("maxBackoff", maxBackoff,
                        "it must not be shorter than initialBackoff (" + initialBackoff + ")");
            }
            return new OutboxRelayConfig(this);
        }
    }
}
