package dev.idempotency.event;

import dev.idempotency.ExecutionMode;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The protocol's answer to one request it covers.
 *
 * @param outcome how it was answered
 * @param mode the execution mode of the request's path (also for a request refused before its key was claimed)
 * @param claimDuration how long claiming the key in the store took (every attempt, when a request waits for a
 *     busy key), or empty if the request was refused before any claim
 * @param completeDuration how long storing the outcome took (in transaction mode: the insert and the commit),
 *     or empty if no outcome was stored or attempted
 * @param scopeHash the first 8 hex digits of the SHA-256 of the client's scope, or empty if the request was
 *     refused before its scope was known; never the scope itself
 */
public record RequestEvent(RequestOutcome outcome, ExecutionMode mode, Optional<Duration> claimDuration,
        Optional<Duration> completeDuration, Optional<String> scopeHash) {

    /** Checks that no component is null. */
    public RequestEvent {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(claimDuration, "claimDuration");
        Objects.requireNonNull(completeDuration, "completeDuration");
        Objects.requireNonNull(scopeHash, "scopeHash");
    }
}
