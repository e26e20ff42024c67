package dev.idempotency.jdbc.outbox;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** What an {@link OutboxPublisher} made of one attempt. */
public sealed interface PublishResult {

    /** The destination accepted the message: it is marked delivered and not published again. */
    record Delivered() implements PublishResult {
    }

    /**
     * A failure that may pass (a timeout, a 5xx, a 429): the message is attempted again after the relay's
     * backoff, or after {@code after} if that is longer (up to the relay's maximum backoff); once the relay's
     * maximum number of attempts is reached it is marked dead with {@code error}.
     *
     * @param after how long the destination asked to wait (such as its {@code Retry-After}), or empty
     * @param error what went wrong, kept as the message's last error
     */
    record Retry(Optional<Duration> after, String error) implements PublishResult {

        /**
         * Validates.
         *
         * @throws IllegalArgumentException if {@code after} is negative
         */
        public Retry {
            Objects.requireNonNull(after, "after");
            Objects.requireNonNull(error, "error");
            if (after.isPresent() && after.get().isNegative()) {
                throw new IllegalArgumentException("after must not be negative, not " + after.get());
            }
        }
    }

    /**
     * A permanent failure (a 4xx other than 408 and 429, a destination that does not exist): the message is
     * marked dead at once with {@code error}, and can be re-queued by hand.
     *
     * @param error what went wrong, kept as the message's last error
     */
    record Rejected(String error) implements PublishResult {

        /** Validates. */
        public Rejected {
            Objects.requireNonNull(error, "error");
        }
    }

    /** The message was delivered. */
    static PublishResult delivered() {
        return new Delivered();
    }

    /** A failure to retry after the relay's backoff. */
    static PublishResult retry(String error) {
        return new Retry(Optional.empty(), error);
    }

    /** A failure to retry no sooner than {@code after} (and no sooner than the relay's backoff). */
    static PublishResult retryAfter(Duration after, String error) {
        return new Retry(Optional.of(Objects.requireNonNull(after, "after")), error);
    }

    /** A permanent failure: the message is dead at once. */
    static PublishResult rejected(String error) {
        return new Rejected(error);
    }
}
