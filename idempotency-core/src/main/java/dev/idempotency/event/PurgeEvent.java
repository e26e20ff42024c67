package dev.idempotency.event;

import java.time.Duration;
import java.util.Objects;

/**
 * One purge run that ended without failing (a failed run is logged and retried at the next interval).
 *
 * @param target what it deleted
 * @param deleted how many rows it deleted (zero when nothing had expired)
 * @param duration how long the run took
 */
public record PurgeEvent(Target target, long deleted, Duration duration) {

    /** What a purge deletes. {@link #tag()} is the stable name metrics use. */
    public enum Target {
        /** Expired idempotency records (keys and their stored outcomes). */
        RECORDS("records"),
        /** Inbox markers past their retention. */
        INBOX("inbox"),
        /** Delivered outbox messages past their retention. */
        OUTBOX("outbox");

        private final String tag;

        Target(String tag) {
            this.tag = tag;
        }

        /** The stable lower-case name, such as {@code records}. */
        public String tag() {
            return tag;
        }
    }

    /** Checks the components. */
    public PurgeEvent {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(duration, "duration");
        if (deleted < 0) {
            throw new IllegalArgumentException("deleted must not be negative, not " + deleted);
        }
    }
}
