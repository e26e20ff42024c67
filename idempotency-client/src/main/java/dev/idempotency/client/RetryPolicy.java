package dev.idempotency.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * When and how often a logical call is attempted again, and how long it may take in all. Immutable; build
 * one with {@link #custom()}, or take {@link #ofDefaults()}.
 *
 * <p>An attempt is made again after a connection failure, a timeout or a lost response (the request went
 * out and no answer came back: the call's key makes the retry safe), and after an answer whose status is in
 * {@link #retryableStatuses()} ({@value #DEFAULT_RETRYABLE_STATUSES_TEXT} by default). A server's own hint
 * wins over the status: {@code x-should-retry: true} or {@code false} (and Stripe's
 * {@code Stripe-Should-Retry}). 400, 413 and 422 are never attempted again, whatever the hint: the same
 * request would be refused the same way.
 *
 * <p>The pause before the next attempt is what the server asked for ({@code retry-after-ms}, or
 * {@code Retry-After} in seconds or as an HTTP date), or else exponential backoff with full jitter: a random
 * pause from zero to {@code min(maxBackoff, initialBackoff × 2^(attempt − 1))}. A call ends when an answer
 * is final, after {@link #maxAttempts()} attempts, or when the next attempt could not begin before
 * {@link #deadline()} has passed since the first.
 */
public final class RetryPolicy {

    /** Attempts per logical call, the first included: {@value}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 10;

    /** How long a logical call may take in all, pauses included: 1 minute. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(1);

    /** The backoff's first ceiling: 200 milliseconds. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(200);

    /** The backoff's largest ceiling: 10 seconds. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);

    /** The statuses attempted again by default, as text. */
    public static final String DEFAULT_RETRYABLE_STATUSES_TEXT = "408, 409, 425, 429, 502, 503, 504";

    /**
     * The statuses attempted again by default: 408 (the server gave up waiting for the request), 409 (the
     * first request with the key is still running), 425 (too early), 429 (too many requests), 502, 503 and
     * 504 (a gateway or the server is unavailable for now). Not 500: a server following the Idempotency-Key
     * draft either stored it, and replays it to every retry, or answers 500 for what a retry will not fix;
     * a server that means otherwise says so with {@code x-should-retry: true}.
     */
    public static final Set<Integer> DEFAULT_RETRYABLE_STATUSES = Set.of(408, 409, 425, 429, 502, 503, 504);

    /** Statuses a retry cannot fix, never attempted again: 400, 413 and 422. */
    public static final Set<Integer> NEVER_RETRIED = Set.of(400, 413, 422);

    private static final RetryPolicy DEFAULTS = custom().build();

    private final int maxAttempts;
    private final Duration deadline;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Set<Integer> retryableStatuses;

    private RetryPolicy(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.deadline = builder.deadline;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.retryableStatuses = Set.copyOf(builder.retryableStatuses);
    }

    /** The defaults: {@value #DEFAULT_MAX_ATTEMPTS} attempts within 1 minute, backoff from 200 ms to 10 s. */
    public static RetryPolicy ofDefaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** A builder starting from {@code policy}'s settings. */
    public static Builder from(RetryPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        Builder builder = new Builder();
        builder.maxAttempts = policy.maxAttempts;
        builder.deadline = policy.deadline;
        builder.initialBackoff = policy.initialBackoff;
        builder.maxBackoff = policy.maxBackoff;
        builder.retryableStatuses = new TreeSet<>(policy.retryableStatuses);
        return builder;
    }

    /** Attempts per logical call, the first included. */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** How long a logical call may take in all, from its first attempt; no attempt begins after it. */
    public Duration deadline() {
        return deadline;
    }

    /** The backoff's ceiling before the second attempt. */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** The backoff's largest ceiling. */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** The statuses attempted again when the server gives no hint. */
    public Set<Integer> retryableStatuses() {
        return retryableStatuses;
    }

    @Override
    public String toString() {
        return "RetryPolicy[maxAttempts=" + maxAttempts + ", deadline=" + deadline + ", backoff=" + initialBackoff
                + ".." + maxBackoff + ", retryableStatuses=" + new TreeSet<>(retryableStatuses) + "]";
    }

    /** Builds a {@link RetryPolicy}; every setter checks its value at once. Not thread-safe. */
    public static final class Builder {

        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration deadline = DEFAULT_DEADLINE;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Set<Integer> retryableStatuses = new TreeSet<>(DEFAULT_RETRYABLE_STATUSES);

        private Builder() {
        }

        /**
         * Attempts per logical call, the first included, 1 (no retry) to 1000.
         *
         * @throws IllegalArgumentException naming the setting and the value, if out of range
         */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1 || maxAttempts > 1000) {
                throw refused("maxAttempts", maxAttempts, "1 to 1000");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * How long a logical call may take in all, 1 millisecond to 1 day. Also bounds each attempt that has
         * no timeout of its own, so that a hung connection cannot outlast it.
         *
         * @throws IllegalArgumentException naming the setting and the value, if out of range
         */
        public Builder deadline(Duration deadline) {
            this.deadline = requireRange("deadline", deadline, Duration.ofMillis(1), Duration.ofDays(1));
            return this;
        }

        /**
         * The backoff's ceilings: {@code initial} before the second attempt, doubling up to {@code max}; from
         * 1 millisecond to 1 hour, {@code initial} no more than {@code max}.
         *
         * @throws IllegalArgumentException naming the setting and the value, if out of range
         */
        public Builder backoff(Duration initial, Duration max) {
            Duration first = requireRange("initialBackoff", initial, Duration.ofMillis(1), Duration.ofHours(1));
            Duration last = requireRange("maxBackoff", max, Duration.ofMillis(1), Duration.ofHours(1));
            if (first.compareTo(last) > 0) {
                throw refused("initialBackoff", first, "no more than maxBackoff (" + last + ")");
            }
            this.initialBackoff = first;
            this.maxBackoff = last;
            return this;
        }

        /**
         * The statuses attempted again when the server gives no hint, replacing the default set.
         *
         * @throws IllegalArgumentException if a status is not 100 to 599, is below 400 (an answer that is not
         *     an error is final), or is one a retry cannot fix (400, 413, 422)
         */
        public Builder retryableStatuses(Set<Integer> statuses) {
            Objects.requireNonNull(statuses, "statuses");
            Set<Integer> checked = new TreeSet<>();
            for (Integer status : statuses) {
                Objects.requireNonNull(status, "statuses contains null");
                if (status < 400 || status > 599) {
                    throw refused("retryableStatuses", status, "error statuses, 400 to 599");
                }
                if (NEVER_RETRIED.contains(status)) {
                    throw refused("retryableStatuses", status, "a status a retry can fix; " + status
                            + " answers the same request the same way every time");
                }
                checked.add(status);
            }
            this.retryableStatuses = checked;
            return this;
        }

        /** The policy. */
        public RetryPolicy build() {
            return new RetryPolicy(this);
        }

        private static Duration requireRange(String setting, Duration value, Duration min, Duration max) {
            if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw refused(setting, value, min + " to " + max);
            }
            return value;
        }

        private static IllegalArgumentException refused(String setting, Object value, String expected) {
            return new IllegalArgumentException("RetryPolicy " + setting + " was " + value + "; expected " + expected);
        }
    }
}
