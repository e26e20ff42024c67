package dev.idempotency.benchmarks;

/**
 * The benchmark cannot start for a reason its message explains in full (no server, an unsupported database):
 * reported as one line, without a stack trace, which would say nothing more and bury the line.
 */
final class SetupFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SetupFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
