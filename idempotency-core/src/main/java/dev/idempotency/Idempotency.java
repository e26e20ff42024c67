package dev.idempotency;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.RequestEvent;
import dev.idempotency.event.RequestOutcome;
import dev.idempotency.event.Stage;
import dev.idempotency.event.StageScope;
import dev.idempotency.internal.GuardedListener;
import dev.idempotency.internal.LeaseRenewals;
import dev.idempotency.internal.ScopeHash;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.KeyTakenException;
import dev.idempotency.spi.LeaseLostException;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.spi.StoreUnavailableException;
import dev.idempotency.spi.StoredRecord;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;

/**
 * The Idempotency-Key protocol, independent of any web framework: it decides, for one request, whether
 * to run the handler, replay a stored outcome, or refuse, and it drives the store so that the handler's
 * effects and the stored outcome become durable together.
 *
 * <pre>{@code
 * Idempotency idempotency = Idempotency.create(store, IdempotencyConfig.ofDefaults());
 * Outcome outcome = idempotency.process(request, body -> runHandlerAndCaptureResponse(body));
 * }</pre>
 *
 * <p>Decisions, in order: a method that is not covered passes through; a missing key is refused (400)
 * or passed through when keys are optional; more than one key or an invalid key is 400; a client whose
 * scope is unknown is 400; a body over the limit is 413; a JSON body that does not parse is 400. Then the
 * key is claimed: a completed record for the same fingerprint is replayed, for another fingerprint it is
 * 422; a key held by a running request is 409 (or waited for); a free key runs the handler inside the
 * claim and stores its outcome if its status is stored. A handler that throws, a status that is not
 * stored, and a response over the size limit all give the key back. With {@link ClaimStrategy#OPTIMISTIC} a
 * transaction-mode request runs the handler first and takes the key only when its outcome is stored; if the key
 * was taken by then, nothing of the run is kept and the key is claimed the usual way, which decides as above.
 *
 * <p>Every answer to a covered request is reported once, as a {@link RequestEvent}, to the
 * {@link IdempotencyListener} the engine was created with, and logged: a refusal at {@code DEBUG}, a store
 * failure at {@code WARNING} (or {@code ERROR} for a failure a retry will not fix), each line with the outcome,
 * the mode and the scope's short hash, never the key, the scope or a body.
 *
 * <p>Thread-safe; one instance serves all requests. It renews the leases of lease-mode requests on a thread of
 * its own ({@code idempotency-lease-renewal}), started by the first such request; {@link #close()} stops it.
 */
public final class Idempotency implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Idempotency.class.getName());
    private static final long FIRST_BACKOFF_MILLIS = 5;
    private static final long MAX_BACKOFF_MILLIS = 200;

    private final IdempotencyStore store;
    private final IdempotencyConfig config;
    private final Sleeper sleeper;
    private final GuardedListener listener;
    private final LeaseRenewals renewals = new LeaseRenewals();

    /**
     * How a request waiting for a busy key ({@link ConcurrentRequestPolicy#WAIT}) pauses between polls of the
     * store: {@link Thread#sleep(long)}, except in tests that drive the wait with the configured clock.
     */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private Idempotency(IdempotencyStore store, IdempotencyConfig config, Sleeper sleeper,
            IdempotencyListener listener) {
        this.store = store;
        this.config = config;
        this.sleeper = sleeper;
        this.listener = GuardedListener.of(listener);
    }

    /** The protocol over {@code store} with default settings. */
    public static Idempotency create(IdempotencyStore store) {
        return create(store, IdempotencyConfig.ofDefaults());
    }

    /**
     * The protocol over {@code store} with {@code config}.
     *
     * @throws IdempotencyConfigException if {@code config} asks for {@linkplain ClaimStrategy#OPTIMISTIC optimistic
     *     claims} and the store does not {@linkplain IdempotencyStore#supportsOptimisticClaims() support} them
     */
    public static Idempotency create(IdempotencyStore store, IdempotencyConfig config) {
        return create(store, config, IdempotencyListener.none());
    }

    /**
     * The protocol over {@code store} with {@code config}, reporting every answer to {@code listener} (see
     * {@link IdempotencyListener} for when and on which thread).
     *
     * @throws IdempotencyConfigException if {@code config} asks for {@linkplain ClaimStrategy#OPTIMISTIC optimistic
     *     claims} and the store does not {@linkplain IdempotencyStore#supportsOptimisticClaims() support} them
     */
    public static Idempotency create(IdempotencyStore store, IdempotencyConfig config, IdempotencyListener listener) {
        return create(store, config, Thread::sleep, listener);
    }

    /** As {@link #create(IdempotencyStore, IdempotencyConfig)}, pausing a waiting request with {@code sleeper}. */
    static Idempotency create(IdempotencyStore store, IdempotencyConfig config, Sleeper sleeper) {
        return create(store, config, sleeper, IdempotencyListener.none());
    }

    private static Idempotency create(IdempotencyStore store, IdempotencyConfig config, Sleeper sleeper,
            IdempotencyListener listener) {
        Objects.requireNonNull(store, "store");
        if (Objects.requireNonNull(config, "config").claim() == ClaimStrategy.OPTIMISTIC
                && !store.supportsOptimisticClaims()) {
            throw IdempotencyConfigException.inconsistent(IdempotencyProperties.CLAIM, "optimistic", "the store ("
                    + store.getClass().getName() + ") does not take optimistic claims; use the default, pessimistic");
        }
        return new Idempotency(Objects.requireNonNull(store, "store"), Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(sleeper, "sleeper"), Objects.requireNonNull(listener, "listener"));
    }

    /** The listener this engine reports to; {@link IdempotencyListener#none()} if it was given none. */
    public IdempotencyListener listener() {
        return listener.listener();
    }

    /** The settings this engine applies. */
    public IdempotencyConfig config() {
        return config;
    }

    /** The store this engine claims keys in. */
    public IdempotencyStore store() {
        return store;
    }

    /**
     * Processes one request.
     *
     * @param request the request as the adapter sees it
     * @param handler runs the application and captures its response; called at most once, or with
     *     {@link ClaimStrategy#OPTIMISTIC optimistic claims} at most twice (the first run rolled back)
     * @return what to send
     * @throws Exception what the handler threw, after its effects were rolled back and the key freed; or
     *     an {@link IOException} from reading the body
     */
    public Outcome process(IncomingRequest request, RequestHandler handler) throws Exception {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        String method = request.method();
        if (!config.covers(method)) {
            return Outcome.PassThrough.INSTANCE;
        }
        StageScope stage = listener.onStageStart(Stage.REQUEST, null);
        Report report = new Report(request);
        Outcome outcome;
        try {
            outcome = decide(request, method, handler, report);
        } catch (Exception | Error e) {
            if (report.outcome == RequestOutcome.FAILED) {
                report(report);
            }
            stage.end(e);
            throw e;
        }
        if (report.outcome != null) {
            report(report);
        }
        stage.end(null);
        return outcome;
    }

    /** The decisions of {@link #process} for a request whose method the protocol covers. */
    private Outcome decide(IncomingRequest request, String method, RequestHandler handler, Report report)
            throws Exception {
        List<String> keyHeaders = request.idempotencyKeyHeaders();
        if (keyHeaders.isEmpty()) {
            return config.required() ? report.refuse(RequestOutcome.MISSING_KEY, Problem.missingKey(method))
                    : Outcome.PassThrough.INSTANCE;
        }
        if (keyHeaders.size() > 1) {
            return report.refuse(RequestOutcome.INVALID_KEY, Problem.multipleKeys(keyHeaders.size()));
        }
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parseHeader(keyHeaders.get(0));
        } catch (InvalidIdempotencyKeyException e) {
            return report.refuse(RequestOutcome.INVALID_KEY, Problem.invalidKey(e.getMessage()));
        }
        Optional<String> scope = request.scope().filter(s -> !s.isEmpty());
        if (scope.isEmpty()) {
            return report.refuse(RequestOutcome.UNIDENTIFIED_CLIENT, Problem.scopeUnresolved(request.scopeSource()));
        }
        byte[] body;
        try {
            body = request.readBody(config.maxRequestBytes());
        } catch (RequestBodyTooLargeException e) {
            return report.refuse(RequestOutcome.TOO_LARGE, Problem.bodyTooLarge(e));
        }
        FingerprintInput input = new FingerprintInput(method, request.path(), request.rawQuery(),
                request.contentType(), request.contentEncoding(), request.fingerprintBody(body));
        ModeRules mode = ModeRules.of(config.modeFor(request.routedPath()));
        report.mode = mode.mode();
        RequestFingerprint fingerprint;
        try {
            fingerprint = input.fingerprint(RequestFingerprint.CURRENT_VERSION);
        } catch (MalformedRequestBodyException e) {
            return report.refuse(RequestOutcome.MALFORMED_BODY, Problem.malformedBody(e.getMessage()));
        }
        RecordKey recordKey = new RecordKey(boundedScope(scope.get()), key);
        report.scope = recordKey.scope();
        return claimAndRun(recordKey, mode, fingerprint, input, body, handler, report);
    }

    /** What the fingerprint is computed from, read from the request once. */
    private record FingerprintInput(String method, String path, String rawQuery, String contentType,
            String contentEncoding, byte[] body) {
        RequestFingerprint fingerprint(int version) {
            return RequestFingerprint.of(version, method, path, rawQuery, contentType, contentEncoding, body);
        }
    }

    /**
     * Claims the key and runs the handler under the claim, or answers from what the claim found. In
     * {@link ConcurrentRequestPolicy#WAIT} mode a busy key is polled again with exponential backoff until the
     * wait timeout, measured on the configured clock, runs out.
     */
    private Outcome claimAndRun(RecordKey recordKey, ModeRules mode, RequestFingerprint fingerprint,
            FingerprintInput input, byte[] body, RequestHandler handler, Report report) throws Exception {
        if (mode == ModeRules.TRANSACTION && config.claim() == ClaimStrategy.OPTIMISTIC) {
            Outcome outcome = runOptimistically(recordKey, mode, fingerprint, body, handler, report);
            if (outcome != null) {
                return outcome;
            }
            // The key was taken when the outcome came to be stored, and the handler's writes are rolled back: the
            // usual claim answers from what took it (replay, 409, 422), or runs the handler again if it is gone.
        }
        boolean waiting = config.concurrent() == ConcurrentRequestPolicy.WAIT;
        Instant deadline = config.clock().instant().plus(config.waitTimeout());
        long backoff = FIRST_BACKOFF_MILLIS;
        while (true) {
            ClaimResult result;
            // Durations are measured with the JVM's monotonic timer, not the configured clock: they are reported,
            // never decided by.
            long claimStart = System.nanoTime();
            StageScope claimStage = listener.onStageStart(Stage.CLAIM, mode.mode());
            try {
                result = store.claim(mode.claimRequest(recordKey, fingerprint, config.clock().instant(), config));
            } catch (StoreException e) {
                claimStage.end(e);
                report.claimed(claimStart);
                return claimFailed(e, report);
            } catch (RuntimeException | Error e) {
                claimStage.end(e);
                throw e;
            }
            claimStage.end(null);
            report.claimed(claimStart);
            if (result instanceof ClaimResult.Acquired acquired) {
                Claim claim = acquired.claim();
                return run(claim, mode, new IdempotencyContext(recordKey, mode.mode(), claim.fencingToken()), body,
                        handler, report, false);
            }
            if (result instanceof ClaimResult.Existing existing) {
                return replayOrRefuse(existing.record(), fingerprint, input, report);
            }
            ClaimResult.Busy busy = (ClaimResult.Busy) result;
            if (busy.heldForAnotherRequest()
                    || busy.holderFingerprint().filter(holder -> !sameRequest(holder, fingerprint, input)).isPresent()) {
                return report.refuse(RequestOutcome.MISMATCH, Problem.keyReused());
            }
            Duration hint = busy.retryAfterHint().filter(d -> !d.isZero()).map(IdempotencyContext::atLeastOneSecond)
                    .orElse(config.retryAfter());
            long remaining = Duration.between(config.clock().instant(), deadline).toMillis();
            if (!waiting || remaining <= 0) {
                return report.refuse(RequestOutcome.CONFLICT, Problem.inProgress(hint));
            }
            try {
                sleeper.sleep(Math.min(backoff, remaining));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return report.refuse(RequestOutcome.CONFLICT, Problem.inProgress(hint));
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    /**
     * Runs the handler under an optimistic claim, which claims nothing before it.
     *
     * @return the answer, or {@code null} if the key was taken when the outcome came to be stored: nothing of the
     *     run was kept
     */
    private Outcome runOptimistically(RecordKey recordKey, ModeRules mode, RequestFingerprint fingerprint, byte[] body,
            RequestHandler handler, Report report) throws Exception {
        Claim claim;
        long claimStart = System.nanoTime();
        StageScope claimStage = listener.onStageStart(Stage.CLAIM, mode.mode());
        try {
            claim = store.claimOptimistically(mode.claimRequest(recordKey, fingerprint, config.clock().instant(),
                    config));
        } catch (StoreException e) {
            claimStage.end(e);
            report.claimed(claimStart);
            return claimFailed(e, report);
        } catch (RuntimeException | Error e) {
            claimStage.end(e);
            throw e;
        }
        claimStage.end(null);
        report.claimed(claimStart);
        return run(claim, mode, new IdempotencyContext(recordKey, mode.mode(), claim.fencingToken()), body, handler,
                report, true);
    }

    /** The answer when a claim failed with {@code e}, logged. */
    private Outcome claimFailed(StoreException e, Report report) {
        if (e instanceof StoreUnavailableException) {
            report.storeFailure(Level.WARNING, "store unavailable while claiming a key; answering 503", e);
            return report.refuse(RequestOutcome.STORE_UNAVAILABLE, Problem.storeUnavailable(config.retryAfter()));
        }
        report.storeFailure(Level.ERROR, "store failed while claiming a key; answering 500", e);
        return report.refuse(RequestOutcome.STORE_UNAVAILABLE, Problem.storeFailure());
    }

    /**
     * Runs the handler under {@code claim} and stores its outcome.
     *
     * @param optimistic whether the claim is optimistic: then {@code null} is returned when the key was taken
     */
    private Outcome run(Claim claim, ModeRules mode, IdempotencyContext context, byte[] body, RequestHandler handler,
            Report report, boolean optimistic) throws Exception {
        try (claim) {
            HandlerResponse response;
            KeepAlive keepAlive = mode.keepAlive(claim, config, renewals);
            StageScope handlerStage = listener.onStageStart(Stage.HANDLER, mode.mode());
            try {
                response = claim.execute(() -> context.runAsCurrent(() -> handler.handle(body)));
            } catch (Exception | Error e) {
                handlerStage.end(e);
                claim.abandon();
                if (e instanceof StoreUnavailableException unavailable && mode.mode() == ExecutionMode.TRANSACTION) {
                    // The claim's transaction was lost under the handler: nothing was committed, a retry can work.
                    report.storeFailure(Level.WARNING, "store unavailable while the handler ran; its effects rolled "
                            + "back, answering 503", unavailable);
                    return report.refuse(RequestOutcome.STORE_UNAVAILABLE,
                            Problem.storeUnavailable(config.retryAfter()));
                }
                report.outcome = RequestOutcome.FAILED;
                throw e;
            } finally {
                keepAlive.stop();
            }
            handlerStage.end(null);
            if (response.truncated() || response.body().length > config.maxResponseBytes()) {
                claim.abandon();
                LOG.log(Level.WARNING, "A response exceeded idempotency.max-response-bytes ("
                        + config.maxResponseBytes() + " bytes); it was not stored and its key was freed");
                return report.refuse(RequestOutcome.RESPONSE_TOO_LARGE, Problem.responseTooLarge(config.maxResponseBytes()));
            }
            if (!config.storedStatuses().stores(response.status())) {
                claim.abandon();
                report.outcome = RequestOutcome.FAILED;
                return new Outcome.Executed(response, false);
            }
            StoredResponse stored = StoredResponse.of(response.status(), replayable(response.headers()),
                    response.body());
            long completeStart = System.nanoTime();
            StageScope completeStage = listener.onStageStart(Stage.COMPLETE, mode.mode());
            try {
                // The record lives a time to live from now, not from the claim: a request that ran longer than
                // the time to live is still replayed to its retries.
                claim.complete(stored, config.clock().instant().plus(config.keyTtl()));
            } catch (KeyTakenException e) {
                report.completeNanos = System.nanoTime() - completeStart;
                if (optimistic) {
                    // An expected answer, as a busy key is to a claim: the stage is not failed, and the request's
                    // outcome is what the usual claim then finds.
                    completeStage.end(null);
                    return null;
                }
                completeStage.end(e);
                return mode.outcomeNotStored(e, config, report);
            } catch (LeaseLostException e) {
                completeStage.end(e);
                report.completeNanos = System.nanoTime() - completeStart;
                // Not the exception's message: it names the key.
                report.storeFailure(Level.WARNING, "lease lost: the lease ran out and another request took the key "
                        + "over; this outcome was not stored, answering 409", null);
                return report.refuse(RequestOutcome.LEASE_LOST, Problem.leaseLost(config.retryAfter()));
            } catch (StoreException e) {
                completeStage.end(e);
                report.completeNanos = System.nanoTime() - completeStart;
                return mode.outcomeNotStored(e, config, report);
            } catch (RuntimeException | Error e) {
                completeStage.end(e);
                throw e;
            }
            completeStage.end(null);
            report.completeNanos = System.nanoTime() - completeStart;
            report.outcome = RequestOutcome.EXECUTED;
            return new Outcome.Executed(response, true);
        }
    }

    /**
     * Stops renewing leases, and returns once the renewal thread has ended: the adapter that created the engine
     * calls it when it stops. Lease-mode requests still running lose their leases when these run out; a
     * lease-mode request started afterwards fails. The store stays open. Idempotent.
     */
    @Override
    public void close() {
        renewals.close();
    }

    private Outcome replayOrRefuse(StoredRecord record, RequestFingerprint fingerprint, FingerprintInput input,
            Report report) {
        RequestFingerprint stored = record.fingerprint();
        if (!RequestFingerprint.isKnownVersion(stored.version())) {
            return report.refuse(RequestOutcome.UNKNOWN_FINGERPRINT_VERSION,
                    Problem.unknownFingerprintVersion(stored.version(), config.retryAfter()));
        }
        if (!sameRequest(stored, fingerprint, input)) {
            return report.refuse(RequestOutcome.MISMATCH, Problem.keyReused());
        }
        report.outcome = RequestOutcome.REPLAYED;
        return new Outcome.Replayed(record.response());
    }

    /** Whether {@code stored} fingerprints this request, recomputing it with the stored version if need be. */
    private static boolean sameRequest(RequestFingerprint stored, RequestFingerprint current, FingerprintInput input) {
        if (stored.version() == current.version()) {
            return stored.equals(current);
        }
        if (!RequestFingerprint.isKnownVersion(stored.version())) {
            return true; // cannot judge: answer as busy rather than as a reuse
        }
        return stored.equals(input.fingerprint(stored.version()));
    }

    private List<Header> replayable(List<Header> headers) {
        List<Header> kept = new ArrayList<>(headers.size());
        for (Header header : headers) {
            if (config.replays(header.name())) {
                kept.add(header);
            }
        }
        return kept;
    }

    /**
     * Scopes longer than a store must hold are replaced by their SHA-256, which keeps them distinct
     * without truncating two long names into one.
     */
    private static String boundedScope(String scope) {
        if (scope.length() <= RecordKey.MAX_SCOPE_LENGTH) {
            return scope;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(scope.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reports the answer {@code report} holds to the listener, and logs it at {@code DEBUG} if it is a refusal. */
    private void report(Report report) {
        RequestOutcome outcome = report.outcome;
        boolean debug = outcome.refused() && outcome != RequestOutcome.STORE_UNAVAILABLE
                && outcome != RequestOutcome.LEASE_LOST && LOG.isLoggable(Level.DEBUG);
        if (!listener.active() && !debug) {
            return;
        }
        ExecutionMode mode = report.mode(config);
        if (debug) {
            LOG.log(Level.DEBUG, "Idempotency refused a request: outcome=" + outcome.tag() + " mode="
                    + mode.name().toLowerCase(Locale.ROOT) + " scope=" + report.scopeHash());
        }
        if (listener.active()) {
            listener.onRequest(new RequestEvent(outcome, mode,
                    report.claimNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(report.claimNanos)),
                    report.completeNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(report.completeNanos)),
                    Optional.ofNullable(report.scope).map(ScopeHash::of)));
        }
    }

    /**
     * What one request's answer is reported with: filled in as the decision goes, reported once by
     * {@link #process}. Confined to the request's thread.
     */
    private static final class Report {

        private final IncomingRequest request;
        /** The answer, or {@code null} while undecided and for a request passed through. */
        RequestOutcome outcome;
        /** Known once the body was read; before that, worked out only if the answer is reported. */
        ExecutionMode mode;
        /** The scope as stored, or {@code null} before it was known. */
        String scope;
        /** Time spent in the store's claim, or -1 before the first. */
        long claimNanos = -1;
        /** Time spent storing the outcome, or -1 if it was not attempted. */
        long completeNanos = -1;

        Report(IncomingRequest request) {
            this.request = request;
        }

        /** Adds the time since {@code startNanos} to the time spent claiming. */
        void claimed(long startNanos) {
            claimNanos = Math.max(claimNanos, 0) + (System.nanoTime() - startNanos);
        }

        Outcome refuse(RequestOutcome refusal, Problem problem) {
            outcome = refusal;
            return new Outcome.Rejected(problem);
        }

        ExecutionMode mode(IdempotencyConfig config) {
            if (mode == null) {
                mode = config.modeFor(request.routedPath());
            }
            return mode;
        }

        String scopeHash() {
            return scope == null ? "unknown" : ScopeHash.of(scope);
        }

        /** Logs a store failure, with the mode and the scope's hash; {@code e} may be {@code null}. */
        void storeFailure(Level level, String what, Throwable e) {
            if (LOG.isLoggable(level)) {
                String mode = this.mode == null ? "unknown" : this.mode.name().toLowerCase(Locale.ROOT);
                LOG.log(level, "Idempotency " + what + " (mode=" + mode + " scope=" + scopeHash() + ")", e);
            }
        }
    }

    /** What keeps a claim alive while its handler runs. */
    private interface KeepAlive {
        /** Stops it; never throws. */
        void stop();
    }

    /**
     * What an {@link ExecutionMode} changes in the engine, in one place: the claim it asks the store for, what
     * keeps the claim alive while the handler runs, and the answer when the outcome cannot be stored.
     * {@link #process} picks the rules once per request, from the path the request is routed to.
     */
    private enum ModeRules {

        TRANSACTION(ExecutionMode.TRANSACTION) {
            @Override
            ClaimRequest claimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now,
                    IdempotencyConfig config) {
                return new ClaimRequest(key, fingerprint, now, now.plus(config.keyTtl()));
            }

            @Override
            KeepAlive keepAlive(Claim claim, IdempotencyConfig config, LeaseRenewals renewals) {
                return () -> { }; // the claim's open transaction holds the key for as long as it takes
            }

            @Override
            Outcome outcomeNotStored(StoreException e, IdempotencyConfig config, Report report) {
                if (e instanceof StoreUnavailableException) {
                    report.storeFailure(Level.WARNING, "store unavailable while storing an outcome; effects rolled "
                            + "back, answering 503", e);
                    return report.refuse(RequestOutcome.STORE_UNAVAILABLE, Problem.storeUnavailable(config.retryAfter()));
                }
                report.storeFailure(Level.ERROR, "store failed while storing an outcome; effects rolled back, "
                        + "answering 500", e);
                return report.refuse(RequestOutcome.STORE_UNAVAILABLE, Problem.storeFailure());
            }
        },

        LEASE(ExecutionMode.LEASE) {
            @Override
            ClaimRequest claimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now,
                    IdempotencyConfig config) {
                return ClaimRequest.lease(key, fingerprint, now, now.plus(config.keyTtl()), config.leaseDuration());
            }

            @Override
            KeepAlive keepAlive(Claim claim, IdempotencyConfig config, LeaseRenewals renewals) {
                ScheduledFuture<?> renewal = renewals.start(claim, config.leaseDuration());
                return () -> renewal.cancel(false);
            }

            @Override
            Outcome outcomeNotStored(StoreException e, IdempotencyConfig config, Report report) {
                // Nothing rolls back in lease mode: the key stays leased until the claim's release (attempted by
                // the store) or the lease's end, and the retry after it runs the handler again.
                report.storeFailure(Level.WARNING, "store failed while storing a lease-mode outcome; answering 503", e);
                return report.refuse(RequestOutcome.STORE_UNAVAILABLE,
                        Problem.leaseOutcomeNotStored(config.leaseDuration()));
            }
        };

        private final ExecutionMode mode;

        ModeRules(ExecutionMode mode) {
            this.mode = mode;
        }

        static ModeRules of(ExecutionMode mode) {
            return switch (mode) {
                case TRANSACTION -> TRANSACTION;
                case LEASE -> LEASE;
            };
        }

        ExecutionMode mode() {
            return mode;
        }

        /** The claim of {@code key} made at {@code now}. */
        abstract ClaimRequest claimRequest(RecordKey key, RequestFingerprint fingerprint, Instant now,
                IdempotencyConfig config);

        /** Starts keeping {@code claim} alive while the handler runs, until the result is stopped. */
        abstract KeepAlive keepAlive(Claim claim, IdempotencyConfig config, LeaseRenewals renewals);

        /** The answer when storing the outcome failed with {@code e} (other than a lost lease), logged. */
        abstract Outcome outcomeNotStored(StoreException e, IdempotencyConfig config, Report report);
    }
}
