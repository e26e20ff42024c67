package dev.idempotency.spi;

/**
 * The state machine every {@link dev.idempotency.spi.Claim} follows: open, then completed or
 * abandoned, never both, never twice.
 */
public final class ClaimLifecycle {

    private enum State { OPEN, COMPLETED, ABANDONED }

    private final String description;
    private State state = State.OPEN;

    /** @param description names the claim in error messages, such as its key */
    public ClaimLifecycle(String description) {
        this.description = description;
    }

    /** Throws unless the claim is open. */
    public void requireOpen(String operation) {
        if (state != State.OPEN) {
            throw new IllegalStateException("Cannot " + operation + " the claim of " + description
                    + ": it is already " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    public void completed() {
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

    public boolean isOpen() {
        return state == State.OPEN;
    }
}
