package dev.idempotency.client;

import java.net.http.HttpHeaders;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The call ran out of attempts or of time before a final answer. Whether its effect took place is unknown
 * (an attempt may have been processed and its answer lost): retry later with the same key, from
 * {@link #key()}, and the server will either run it or replay what it did.
 */
public final class RetriesExhaustedException extends IdempotentCallException {

    private static final long serialVersionUID = 1L;

    /** What ran out. */
    public enum Reason {
        /** {@link RetryPolicy#maxAttempts()} attempts were made. */
        ATTEMPTS,
        /** The next attempt could not begin before {@link RetryPolicy#deadline()}. */
        DEADLINE
    }

    private final Reason reason;
    private final Integer lastStatus;
    private final transient HttpHeaders lastHeaders;
    private final transient Problem lastProblem;

    RetriesExhaustedException(String message, String key, int attempts, Reason reason, Integer lastStatus,
            HttpHeaders lastHeaders, Problem lastProblem, Throwable lastFailure) {
        super(message, key, attempts, lastFailure);
        this.reason = reason;
        this.lastStatus = lastStatus;
        this.lastHeaders = lastHeaders;
        this.lastProblem = lastProblem;
    }

    /** What ran out. */
    public Reason reason() {
        return reason;
    }

    /** The status of the last answer, when the last attempt was answered (otherwise see {@link #getCause()}). */
    public OptionalInt lastStatus() {
        return lastStatus == null ? OptionalInt.empty() : OptionalInt.of(lastStatus);
    }

    /** The headers of the last answer, when the last attempt was answered. */
    public Optional<HttpHeaders> lastHeaders() {
        return Optional.ofNullable(lastHeaders);
    }

    /** The last answer as a problem document, when it was one. */
    public Optional<Problem> lastProblem() {
        return Optional.ofNullable(lastProblem);
    }
}
