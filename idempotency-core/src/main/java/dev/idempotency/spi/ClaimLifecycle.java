package dev.idempotency.spi;

/**
 * The state machine every {@link dev.idempotency.spi.Claim} follows: open, then completed or
 * abandoned, never both, never twice. A store's claim moves it with {@link #complete()} and
 * {@link #abandon()} before it does the work, so a second call is refused before it touches the store.
 * Not thread-safe: a claim belongs to the thread that obtained it.
 */
public final class ClaimLifecycle {

    private enum State { OPEN, COMPLETED, ABANDONED }

    private final String description;
    private State state = State.OPEN;

    /** @param description names the claim in error messages, such as its key */
    public ClaimLifecycle(String description) {
        this.description = description;
    }

    /**
     * Throws unless the claim is open.
     *
     * @param operation what the caller is about to do, such as {@code "execute"}, for the message
     * @throws IllegalStateException if the claim was already completed or abandoned
     */
    public void requireOpen(String operation) {
        if (state != State.OPEN) {
            throw new IllegalStateException("Cannot " + operation + " the claim of " + description
                    + ": it is already " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /**
     * Marks the claim completed.
     *
     * @throws IllegalStateException if the claim was already completed or abandoned
     */
    public void complete() {
        requireOpen("complete");
        state = State.COMPLETED;
    }

    /** Marks the claim abandoned; returns {@code false} if it was already completed or abandoned. */
    public boolean abandon() {
        if (state != State.OPEN) {
            return false;
        }
        state = State.ABANDONED;
        return true;
    }

    /** Whether the claim is neither completed nor abandoned. */
    public boolean isOpen() {
        return state == State.OPEN;
    }
}
