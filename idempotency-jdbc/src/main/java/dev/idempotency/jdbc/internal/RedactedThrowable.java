package dev.idempotency.jdbc.internal;

import dev.idempotency.jdbc.Redaction;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A stand-in for an exception whose message gave away a password: the same class name, message (redacted),
 * stack trace, cause and suppressed exceptions (each redacted the same way), so that {@code printStackTrace}
 * prints what the original would have, without the secret. Drivers and pools quote the JDBC URL in their
 * own exceptions (HikariCP's {@code Failed to get driver instance for jdbcUrl=...}), so hiding it in our
 * message alone is not enough: a caller may print the whole chain.
 */
public final class RedactedThrowable extends Exception {

    private static final long serialVersionUID = 1L;

    private final String originalClassName;

    private RedactedThrowable(Throwable original, String message) {
        // Not the constructor taking a cause: the copy's cause is set afterwards, once it is copied too.
        super(message);
        this.originalClassName = original.getClass().getName();
        setStackTrace(original.getStackTrace());
    }

    /** The class of the exception this one stands for. */
    public String originalClassName() {
        return originalClassName;
    }

    /** As the original's {@code toString()}: its class name, then the (redacted) message. */
    @Override
    public String toString() {
        String message = getLocalizedMessage();
        return message != null ? originalClassName + ": " + message : originalClassName;
    }

    /**
     * {@code failure} as it may be thrown to the application: itself if no message in its chain shows a
     * password, otherwise a {@link StoreUnavailableException} or {@link StoreException} (as {@code failure}
     * was unavailable or not) with the message redacted and a redacted copy of its cause chain.
     *
     * @param secrets passwords known apart from any URL (a builder's), hidden wherever they appear
     */
    public static RuntimeException redacted(RuntimeException failure, Collection<String> secrets) {
        if (!showsSecrets(failure, secrets, Collections.newSetFromMap(new IdentityHashMap<>()))) {
            return failure;
        }
        String message = Redaction.redact(failure.getMessage(), secrets);
        Throwable cause = copy(failure.getCause(), secrets, new IdentityHashMap<>());
        StoreException redacted = failure instanceof StoreUnavailableException || SqlErrors.isTransient(failure)
                ? new StoreUnavailableException(message, cause) : new StoreException(message, cause);
        redacted.setStackTrace(failure.getStackTrace());
        for (Throwable suppressed : failure.getSuppressed()) {
            redacted.addSuppressed(copy(suppressed, secrets, new IdentityHashMap<>()));
        }
        return redacted;
    }

    /** {@code cause} itself if nothing in its chain shows a password, otherwise a redacted copy of the chain. */
    public static Throwable redactedCause(Throwable cause, Collection<String> secrets) {
        if (cause == null || !showsSecrets(cause, secrets, Collections.newSetFromMap(new IdentityHashMap<>()))) {
            return cause;
        }
        return copy(cause, secrets, new IdentityHashMap<>());
    }

    private static boolean showsSecrets(Throwable t, Collection<String> secrets, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return false;
        }
        String message = t.getMessage();
        if (message != null && !message.equals(Redaction.redact(message, secrets))) {
            return true;
        }
        for (Throwable suppressed : t.getSuppressed()) {
            if (showsSecrets(suppressed, secrets, seen)) {
                return true;
            }
        }
        return showsSecrets(t.getCause(), secrets, seen);
    }

    private static Throwable copy(Throwable t, Collection<String> secrets, Map<Throwable, Throwable> copies) {
        if (t == null) {
            return null;
        }
        Throwable done = copies.get(t);
        if (done != null) {
            return done;
        }
        RedactedThrowable copy = new RedactedThrowable(t, Redaction.redact(t.getMessage(), secrets));
        copies.put(t, copy);
        Throwable cause = t.getCause();
        if (cause != null && cause != t) {
            copy.initCause(copy(cause, secrets, copies));
        }
        for (Throwable suppressed : t.getSuppressed()) {
            copy.addSuppressed(copy(suppressed, secrets, copies));
        }
        return copy;
    }
}
