package dev.idempotency.spi;

/**
 * An {@linkplain IdempotencyStore#claimOptimistically optimistic claim} could not store its outcome because
 * the key was taken when it tried: another request's record of the key was there, or another claim held the
 * key past the database's lock wait. Nothing of the claim was kept: its writes were rolled back. The caller
 * claims the key again, the usual way, to learn what to answer. An expected event, so it carries no stack
 * trace.
 */
public final class KeyTakenException extends StoreException {

    private static final long serialVersionUID = 1L;

    /** The key of {@code key} was taken; {@code cause} is the database's report of it, or {@code null}. */
    public KeyTakenException(RecordKey key, Throwable cause) {
        super("The outcome of an optimistic claim of idempotency key " + key.key() + " was not stored: the key was "
                + "taken by another request; the claim's writes were rolled back", cause);
    }

    /** No stack trace: the exception is an expected answer, not a fault. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
