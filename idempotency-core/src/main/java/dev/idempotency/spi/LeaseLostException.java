package dev.idempotency.spi;

/**
 * A lease-mode claim could not store its outcome because its lease expired and another request took the
 * key over (the fencing token moved on). The other request's outcome is the one that counts; this
 * request's client should retry to get it.
 */
public final class LeaseLostException extends StoreException {

    private static final long serialVersionUID = 1L;

    public LeaseLostException(RecordKey key, long fencingToken) {
        super("The lease on idempotency key " + key.key() + " (fencing token " + fencingToken
                + ") expired and another request took the key over; this request's outcome was not stored");
    }
}
