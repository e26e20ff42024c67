package dev.idempotency.jdbc.outbox;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A publisher that records every call, with when it started and ended on a global tick counter, and answers
 * as the test tells it (delivered unless told otherwise). Thread-safe.
 */
final class RecordingPublisher implements OutboxPublisher {

    /** One call of {@link #publish}. */
    record Publication(OutboxMessage message, int attempt, long started, long ended) {
    }

    /** What the publisher does with a message: answer, or throw. */
    @FunctionalInterface
    interface Behaviour {
        PublishResult apply(OutboxMessage message, int attempt) throws Exception;
    }

    private static final AtomicLong TICKS = new AtomicLong();

    private final List<Publication> publications = Collections.synchronizedList(new ArrayList<>());
    private volatile Behaviour behaviour = (message, attempt) -> PublishResult.delivered();

    /** Delivers everything. */
    RecordingPublisher() {
    }

    /** Answers with {@code behaviour}. */
    RecordingPublisher(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    void answer(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    void answer(Function<OutboxMessage, PublishResult> behaviour) {
        this.behaviour = (message, attempt) -> behaviour.apply(message);
    }

    @Override
    public PublishResult publish(OutboxMessage message, int attempt) throws Exception {
        long started = TICKS.incrementAndGet();
        try {
            return behaviour.apply(message, attempt);
        } finally {
            publications.add(new Publication(message, attempt, started, TICKS.incrementAndGet()));
        }
    }

    List<Publication> publications() {
        synchronized (publications) {
            return List.copyOf(publications);
        }
    }

    /** The ids published, in the order the calls ended. */
    List<String> ids() {
        return publications().stream().map(p -> p.message().id()).toList();
    }

    /** How often each id was published. */
    Map<String, Long> countsById() {
        return publications().stream().collect(Collectors.groupingBy(p -> p.message().id(), Collectors.counting()));
    }
}
