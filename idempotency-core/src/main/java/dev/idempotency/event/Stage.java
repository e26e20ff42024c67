package dev.idempotency.event;

/**
 * A stretch of work the library reports the start and end of, for tracing: the whole of a covered request and,
 * within it, the claim of its key, its handler and the storing of its outcome; and an outbox relay's publication
 * of one message. {@link #tag()} is its stable lower-case name.
 */
public enum Stage {

    /** A covered request, from its first decision to its answer. */
    REQUEST("request"),
    /** The store's claim of the key (every attempt, when a request waits, is a stage of its own). */
    CLAIM("claim"),
    /** The application's handler, run under the claim. */
    HANDLER("handler"),
    /** Storing the outcome (in transaction mode: with the commit of the handler's effects). */
    COMPLETE("complete"),
    /** An outbox relay handing one message to its publisher. */
    PUBLISH("publish");

    private final String tag;

    Stage(String tag) {
        this.tag = tag;
    }

    /** The stable lower-case name, such as {@code claim}. */
    public String tag() {
        return tag;
    }
}
