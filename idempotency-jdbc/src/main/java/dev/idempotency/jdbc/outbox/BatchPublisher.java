package dev.idempotency.jdbc.outbox;

import dev.idempotency.event.StageScope;
import dev.idempotency.internal.GuardedListener;
import dev.idempotency.internal.Scheduler;
import dev.idempotency.jdbc.outbox.ClaimedBatch.Message;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A relay's second step: hands a claimed batch to the {@link OutboxPublisher}, with no transaction open, a
 * unit at a time on each of the relay's publisher threads (or on the calling thread), and says how each
 * message is to be marked. A key's run is published in order and stops at its first message that is not
 * delivered; no publication starts once the lease has ended. Thread-safe.
 */
final class BatchPublisher {

    /** The longest error kept as a message's last. */
    private static final int MAX_ERROR_LENGTH = 4000;

    private final OutboxPublisher publisher;
    private final Clock clock;
    private final OutboxRelayConfig config;
    private final GuardedListener listener;

    BatchPublisher(OutboxPublisher publisher, Clock clock, OutboxRelayConfig config, GuardedListener listener) {
        this.publisher = publisher;
        this.clock = clock;
        this.config = config;
        this.listener = listener;
    }

    /**
     * Publishes {@code batch}, its units side by side on {@code threads} when given and there are several.
     *
     * @return how each message is to be marked
     * @throws Error whatever {@link Error} the publisher threw: nothing is to be marked, as after a crash
     * @throws CancellationException if the calling thread was interrupted while waiting for the publisher threads
     */
    List<Marking> publish(ClaimedBatch batch, Scheduler threads) {
        List<List<Message>> units = batch.units();
        List<Marking> markings = new ArrayList<>(batch.size());
        if (threads == null || units.size() == 1) {
            for (List<Message> unit : units) {
                markings.addAll(publishUnit(unit, batch.leaseEnd()));
            }
            return markings;
        }
        List<Future<List<Marking>>> futures = new ArrayList<>(units.size());
        for (List<Message> unit : units) {
            futures.add(threads.submit(() -> publishUnit(unit, batch.leaseEnd())));
        }
        Throwable failure = null;
        for (Future<List<Marking>> future : futures) {
            try {
                markings.addAll(future.get());
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                } else {
                    failure.addSuppressed(e.getCause());
                }
            } catch (InterruptedException e) {
                futures.forEach(f -> f.cancel(true));
                Thread.currentThread().interrupt();
                throw new CancellationException("Interrupted while publishing outbox messages; nothing of the batch "
                        + "was marked, so its messages are published again after their lease");
            }
        }
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure != null) {
            throw new IllegalStateException("Publishing outbox messages failed", failure);
        }
        return markings;
    }

    /**
     * Publishes one unit: a single message, or a key's run in order. The first message of a run that is not
     * delivered stops it; the rest are given back without counting an attempt.
     */
    private List<Marking> publishUnit(List<Message> unit, Instant leaseEnd) {
        List<Marking> markings = new ArrayList<>(unit.size());
        boolean stopped = false;
        for (Message claimed : unit) {
            if (stopped || !clock.instant().isBefore(leaseEnd)) {
                // Publishing after the lease ended could run beside another relay's re-publication.
                markings.add(Marking.release(claimed));
                stopped = true;
                continue;
            }
            if (claimed.attempt() > config.maxAttempts()) {
                markings.add(Marking.dead(claimed, "No outcome after " + (claimed.attempt() - 1) + " attempts: the "
                        + "relay stopped, failed to mark, or lost its lease while publishing", false));
                stopped = true;
                continue;
            }
            PublishResult result;
            OutboxMessage message = claimed.message();
            StageScope stage = listener.onPublishStart(name -> message.header(name).orElse(null));
            try {
                result = publisher.publish(message, claimed.attempt());
                if (result == null) {
                    result = PublishResult.retry("The publisher " + publisher + " returned null");
                }
                stage.end(null);
            } catch (Exception e) {
                stage.end(e);
                result = PublishResult.retry(describe(e));
            } catch (Error e) {
                stage.end(e);
                throw e;
            }
            Marking marking = markingFor(claimed, result);
            markings.add(marking);
            stopped = marking.mark() != Marking.Mark.DELIVERED;
        }
        return markings;
    }

    /** What the publisher's answer makes of the message: delivered, retried after a backoff, or dead. */
    private Marking markingFor(Message claimed, PublishResult result) {
        if (result instanceof PublishResult.Delivered) {
            return Marking.delivered(claimed);
        }
        if (result instanceof PublishResult.Rejected rejected) {
            return Marking.dead(claimed, truncate(rejected.error()), true);
        }
        PublishResult.Retry retry = (PublishResult.Retry) result;
        if (claimed.attempt() >= config.maxAttempts()) {
            return Marking.dead(claimed, truncate(retry.error()), true);
        }
        Instant due = clock.instant().plus(delay(claimed.attempt(), retry.after()));
        return Marking.retry(claimed, due, truncate(retry.error()));
    }

    /** The backoff after failed attempt {@code attempt} with equal jitter, at least the requested wait. */
    private Duration delay(int attempt, Optional<Duration> requested) {
        long ceiling = config.backoff(attempt).toMillis();
        long half = ceiling / 2;
        long millis = ceiling - half + ThreadLocalRandom.current().nextLong(half + 1);
        Duration delay = Duration.ofMillis(millis);
        if (requested.isPresent()) {
            Duration wait = requested.get().compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : requested.get();
            if (wait.compareTo(delay) > 0) {
                delay = wait;
            }
        }
        return delay;
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getName() : e.getClass().getName() + ": " + e.getMessage();
    }

    private static String truncate(String error) {
        return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH);
    }
}
