package dev.idempotency.event;

/**
 * The end of a {@link Stage} a listener was told had started (see {@link IdempotencyListener#onStageStart}):
 * called exactly once, on the thread that started it, after the stage's work and before the next stage starts.
 */
@FunctionalInterface
public interface StageScope {

    /** The scope of a listener that does not trace. */
    StageScope NONE = failure -> { };

    /**
     * The stage ended.
     *
     * @param failure what the stage's work threw, or {@code null} if it returned (a refusal the protocol
     *     answered, such as a store that could not be reached, is a return: its outcome is in the
     *     {@link RequestEvent})
     */
    void end(Throwable failure);
}
