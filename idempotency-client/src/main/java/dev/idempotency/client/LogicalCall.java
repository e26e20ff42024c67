package dev.idempotency.client;

import dev.idempotency.client.internal.Backoff;
import dev.idempotency.client.internal.BufferedAnswer;
import dev.idempotency.client.internal.KeyHeader;
import dev.idempotency.client.internal.ProblemDocuments;
import dev.idempotency.client.internal.RetryHints;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One logical call: its attempts, each decided on as it ends (final, refused, or attempted again after a
 * pause), until a final answer, a refusal, or the end of the attempts or of the deadline.
 */
final class LogicalCall<T> {

    private final IdempotentHttpClient client;
    private final RetryPolicy policy;
    private final HttpRequest request;
    private final HttpResponse.BodyHandler<T> handler;
    private final String key;
    private final boolean retried;
    private final Instant deadline;
    private final Backoff backoff;
    private final Executor executor;
    private int attempts;

    LogicalCall(IdempotentHttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler, String key) {
        this.client = client;
        this.policy = client.retryPolicy();
        this.key = key;
        this.request = key == null || request.headers().firstValue(IdempotentHttpClient.IDEMPOTENCY_KEY).isPresent()
                ? request
                : HttpRequest.newBuilder(request, (name, value) -> true).header(IdempotentHttpClient.IDEMPOTENCY_KEY,
                        KeyHeader.value(key, client.keyFormat() == IdempotentHttpClient.KeyFormat.STRUCTURED)).build();
        this.handler = handler;
        this.retried = client.isRetried(request);
        this.deadline = client.clock().instant().plus(policy.deadline());
        this.backoff = new Backoff(policy.initialBackoff(), policy.maxBackoff(),
                () -> ThreadLocalRandom.current().nextDouble());
        this.executor = client.httpClient().executor().orElse(ForkJoinPool.commonPool());
    }

    CompletableFuture<IdempotentResponse<T>> start() {
        return attempt();
    }

    private CompletableFuture<IdempotentResponse<T>> attempt() {
        attempts++;
        HttpRequest attempt;
        try {
            attempt = boundedByTheDeadline();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return client.httpClient().sendAsync(attempt, HttpResponse.BodyHandlers.ofByteArray())
                .handle((answer, failure) -> failure == null ? answered(answer) : failed(unwrap(failure)))
                .thenCompose(Function.identity());
    }

    /** The request, its timeout no later than the deadline: a hung attempt must not outlast the call. */
    private HttpRequest boundedByTheDeadline() {
        Duration left = Duration.between(client.clock().instant(), deadline);
        if (left.compareTo(Duration.ofMillis(1)) < 0) {
            left = Duration.ofMillis(1);
        }
        Optional<Duration> own = request.timeout();
        if (own.isPresent() && own.get().compareTo(left) <= 0) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true).timeout(left).build();
    }

    private CompletableFuture<IdempotentResponse<T>> answered(HttpResponse<byte[]> answer) {
        int status = answer.statusCode();
        if (!retried) {
            return done(answer);
        }
        if (key != null && RetryPolicy.NEVER_RETRIED.contains(status)) {
            return CompletableFuture.failedFuture(refusal(answer));
        }
        boolean again = !RetryPolicy.NEVER_RETRIED.contains(status)
                && RetryHints.shouldRetry(answer.headers()).orElse(policy.retryableStatuses().contains(status));
        if (!again) {
            return done(answer);
        }
        Duration pause = RetryHints.retryAfter(answer.headers(), client.clock()).orElseGet(() -> backoff.pause(attempts));
        return retry(pause, answer, null);
    }

    private CompletableFuture<IdempotentResponse<T>> failed(Throwable failure) {
        if (!(failure instanceof IOException)) {
            // Not the network: a bad request, a handler's bug. A retry would fail the same way.
            return CompletableFuture.failedFuture(failure);
        }
        if (!retried) {
            return CompletableFuture.failedFuture(exhausted(RetriesExhaustedException.Reason.ATTEMPTS, null, failure,
                    request.method() + " is sent once (not keyed, not declared idempotent)"));
        }
        return retry(backoff.pause(attempts), null, failure);
    }

    private CompletableFuture<IdempotentResponse<T>> retry(Duration pause, HttpResponse<byte[]> last, Throwable failure) {
        if (attempts >= policy.maxAttempts()) {
            return CompletableFuture.failedFuture(exhausted(RetriesExhaustedException.Reason.ATTEMPTS, last, failure,
                    "all " + policy.maxAttempts() + " attempts were made"));
        }
        if (client.clock().instant().plus(pause).isAfter(deadline)) {
            return CompletableFuture.failedFuture(exhausted(RetriesExhaustedException.Reason.DEADLINE, last, failure,
                    "the next attempt, " + pause.toMillis() + " ms from now, would begin after the deadline ("
                            + policy.deadline() + " from the first)"));
        }
        Executor later = CompletableFuture.delayedExecutor(pause.toNanos(), TimeUnit.NANOSECONDS, executor);
        return CompletableFuture.supplyAsync(this::attempt, later).thenCompose(Function.identity());
    }

    private CompletableFuture<IdempotentResponse<T>> done(HttpResponse<byte[]> answer) {
        boolean replayed = answer.headers().firstValue(IdempotentHttpClient.IDEMPOTENT_REPLAYED)
                .map(value -> value.strip().equalsIgnoreCase("true")).orElse(false);
        int made = attempts;
        return BufferedAnswer.handOver(answer, handler)
                .thenApply(response -> new IdempotentResponse<>(response, Optional.ofNullable(key), made, replayed));
    }

    private RequestRefusedException refusal(HttpResponse<byte[]> answer) {
        Problem problem = problem(answer);
        int status = answer.statusCode();
        String said = problem == null ? "" : problem.detail().or(problem::title).map(text -> ": " + text).orElse("");
        String message = describe() + " was refused with " + status + said;
        if (status == 422) {
            return new KeyReusedException(message + ". The key " + key + " was used before for another request: give "
                    + "each logical action its own key, and send the same request on every attempt", key, attempts,
                    answer.headers(), answer.body(), problem);
        }
        return new RequestRefusedException(message + ". Nothing took effect; a retry would be refused the same way",
                key, attempts, status, answer.headers(), answer.body(), problem);
    }

    private RetriesExhaustedException exhausted(RetriesExhaustedException.Reason reason, HttpResponse<byte[]> last,
            Throwable failure, String why) {
        String lastly = last != null ? "the last answer was " + last.statusCode()
                : failure != null ? "the last attempt got no answer (" + failure + ")" : "no answer";
        String retryLater = key == null ? "" : "; whether it took effect is unknown: send it again later with "
                + "Idempotency-Key " + key + " to run it or get what it did";
        Problem problem = last == null ? null : problem(last);
        return new RetriesExhaustedException(describe() + " had no final answer after " + attempts + " attempt"
                + (attempts == 1 ? "" : "s") + ": " + why + "; " + lastly + retryLater, key, attempts, reason,
                last == null ? null : last.statusCode(), last == null ? null : last.headers(), problem, failure);
    }

    private String describe() {
        return request.method() + " " + request.uri();
    }

    private static Problem problem(HttpResponse<byte[]> answer) {
        if (!ProblemDocuments.isProblem(answer.headers()) || answer.body() == null) {
            return null;
        }
        Optional<Map<String, Object>> members = ProblemDocuments.members(answer.body());
        if (members.isEmpty()) {
            return null;
        }
        Map<String, Object> m = members.get();
        Object status = m.get("status");
        return new Problem(text(m, "type").orElse(Problem.ABOUT_BLANK), text(m, "title"),
                status instanceof Long number && number >= 100 && number <= 599 ? OptionalInt.of(number.intValue())
                        : OptionalInt.empty(),
                text(m, "detail"), text(m, "instance"),
                new String(answer.body(), java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Optional<String> text(Map<String, Object> members, String name) {
        return members.get(name) instanceof String text ? Optional.of(text) : Optional.empty();
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
