package dev.idempotency.adapter;

import dev.idempotency.Idempotency;
import dev.idempotency.StoredResponse;
import java.util.Objects;

/**
 * What an adapter should send for a request, as decided by {@link Idempotency#process}.
 */
public sealed interface Outcome {

    /** The protocol does not apply (method not covered, or no key where keys are optional): run as usual. */
    record PassThrough() implements Outcome {
        /** The one instance the engine returns (every {@code PassThrough} is equal to it). */
        public static final PassThrough INSTANCE = new PassThrough();
    }

    /**
     * The handler ran; send its response in full (every header it set).
     *
     * @param response the handler's response
     * @param stored whether it was stored for replays (it was not if its status is not stored)
     */
    record Executed(HandlerResponse response, boolean stored) implements Outcome {
        public Executed {
            Objects.requireNonNull(response, "response");
        }
    }

    /** An earlier outcome for the same key and request; send it with {@code Idempotent-Replayed: true}. */
    record Replayed(StoredResponse response) implements Outcome {
        public Replayed {
            Objects.requireNonNull(response, "response");
        }
    }

    /** The protocol refused the request; the handler did not run (or its effects were rolled back). */
    record Rejected(Problem problem) implements Outcome {
        public Rejected {
            Objects.requireNonNull(problem, "problem");
        }
    }
}
