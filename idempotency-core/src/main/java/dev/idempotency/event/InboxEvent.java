package dev.idempotency.event;

import java.util.Objects;

/**
 * One delivery the inbox saw. Neither the consumer's name nor the message's id is carried: both can take any
 * number of values.
 *
 * @param result what the inbox made of it
 */
public record InboxEvent(Result result) {

    /** What the inbox made of a delivery. {@link #tag()} is the stable name metrics use. */
    public enum Result {
        /** Its work ran and committed with its marker. */
        PROCESSED("processed"),
        /** Its marker was there already: its work did not run again. */
        DUPLICATE("duplicate"),
        /** Its id was recorded with another payload: refused, its work did not run. */
        REUSED("reused");

        private final String tag;

        Result(String tag) {
            this.tag = tag;
        }

        /** The stable lower-case name, such as {@code duplicate}. */
        public String tag() {
            return tag;
        }
    }

    /** Checks the result. */
    public InboxEvent {
        Objects.requireNonNull(result, "result");
    }
}
