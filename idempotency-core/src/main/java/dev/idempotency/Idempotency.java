package dev.idempotency;

import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.Problem;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.internal.LeaseRenewals;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.IdempotencyStore;
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
 * stored, and a response over the size limit all give the key back.
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
    private final LeaseRenewals renewals = new LeaseRenewals();

    /**
     * How a request waiting for a busy key ({@link ConcurrentRequestPolicy#WAIT}) pauses between polls of the
     * store: {@link Thread#sleep(long)}, except in tests that drive the wait with the configured clock.
     */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private Idempotency(IdempotencyStore store, IdempotencyConfig config, Sleeper sleeper) {
        this.store = store;
        this.config = config;
        this.sleeper = sleeper;
    }

    /** The protocol over {@code store} with default settings. */
    public static Idempotency create(IdempotencyStore store) {
        return create(store, IdempotencyConfig.ofDefaults());
    }

    /** The protocol over {@code store} with {@code config}. */
    public static Idempotency create(IdempotencyStore store, IdempotencyConfig config) {
        return create(store, config, Thread::sleep);
    }

    /** As {@link #create(IdempotencyStore, IdempotencyConfig)}, pausing a waiting request with {@code sleeper}. */
    static Idempotency create(IdempotencyStore store, IdempotencyConfig config, Sleeper sleeper) {
        return new Idempotency(Objects.requireNonNull(store, "store"), Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(sleeper, "sleeper"));
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
     * @param handler runs the application and captures its response; called at most once
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
        List<String> keyHeaders = request.idempotencyKeyHeaders();
        if (keyHeaders.isEmpty()) {
            return config.required() ? rejected(Problem.missingKey(method)) : Outcome.PassThrough.INSTANCE;
        }
        if (keyHeaders.size() > 1) {
            return rejected(Problem.multipleKeys(keyHeaders.size()));
        }
        IdempotencyKey key;
        try {
            key = IdempotencyKey.parseHeader(keyHeaders.get(0));
        } catch (InvalidIdempotencyKeyException e) {
            return rejected(Problem.invalidKey(e.getMessage()));
        }
        Optional<String> scope = request.scope().filter(s -> !s.isEmpty());
        if (scope.isEmpty()) {
            return rejected(Problem.scopeUnresolved(request.scopeSource()));
        }
        byte[] body;
        try {
            body = request.readBody(config.maxRequestBytes());
        } catch (RequestBodyTooLargeException e) {
            return rejected(Problem.bodyTooLarge(e));
        }
        FingerprintInput input = new FingerprintInput(method, request.path(), request.rawQuery(),
                request.contentType(), request.contentEncoding(), request.fingerprintBody(body));
        ModeRules mode = ModeRules.of(config.modeFor(request.routedPath()));
        RequestFingerprint fingerprint;
        try {
            fingerprint = input.fingerprint(RequestFingerprint.CURRENT_VERSION);
        } catch (MalformedRequestBodyException e) {
            return rejected(Problem.malformedBody(e.getMessage()));
        }
        RecordKey recordKey = new RecordKey(boundedScope(scope.get()), key);
        return claimAndRun(recordKey, mode, fingerprint, input, body, handler);
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
            FingerprintInput input, byte[] body, RequestHandler handler) throws Exception {
        boolean waiting = config.concurrent() == ConcurrentRequestPolicy.WAIT;
        Instant deadline = config.clock().instant().plus(config.waitTimeout());
        long backoff = FIRST_BACKOFF_MILLIS;
        while (true) {
            ClaimResult result;
            try {
                result = store.claim(mode.claimRequest(recordKey, fingerprint, config.clock().instant(), config));
            } catch (StoreUnavailableException e) {
                LOG.log(Level.WARNING, "Idempotency store unavailable while claiming a key; answering 503", e);
                return rejected(Problem.storeUnavailable(config.retryAfter()));
            } catch (StoreException e) {
                LOG.log(Level.ERROR, "Idempotency store failed while claiming a key; answering 500", e);
                return rejected(Problem.storeFailure());
            }
            if (result instanceof ClaimResult.Acquired acquired) {
                Claim claim = acquired.claim();
                return run(claim, mode, new IdempotencyContext(recordKey, mode.mode(), claim.fencingToken()), body,
                        handler);
            }
            if (result instanceof ClaimResult.Existing existing) {
                return replayOrRefuse(existing.record(), fingerprint, input);
            }
            ClaimResult.Busy busy = (ClaimResult.Busy) result;
            if (busy.heldForAnotherRequest()
                    || busy.holderFingerprint().filter(holder -> !sameRequest(holder, fingerprint, input)).isPresent()) {
                return rejected(Problem.keyReused());
            }
            Duration hint = busy.retryAfterHint().filter(d -> !d.isZero()).map(IdempotencyContext::atLeastOneSecond)
                    .orElse(config.retryAfter());
            long remaining = Duration.between(config.clock().instant(), deadline).toMillis();
            if (!waiting || remaining <= 0) {
                return rejected(Problem.inProgress(hint));
            }
            try {
                sleeper.sleep(Math.min(backoff, remaining));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return rejected(Problem.inProgress(hint));
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    private Outcome run(Claim claim, ModeRules mode, IdempotencyContext context, byte[] body, RequestHandler handler)
            throws Exception {
        try (claim) {
            HandlerResponse response;
            KeepAlive keepAlive = mode.keepAlive(claim, config, renewals);
            try {
                response = claim.execute(() -> context.runAsCurrent(() -> handler.handle(body)));
            } catch (Exception | Error e) {
                claim.abandon();
                throw e;
            } finally {
                keepAlive.stop();
            }
            if (response.truncated() || response.body().length > config.maxResponseBytes()) {
                claim.abandon();
                LOG.log(Level.WARNING, "A response exceeded idempotency.max-response-bytes ("
                        + config.maxResponseBytes() + " bytes); it was not stored and its key was freed");
                return rejected(Problem.responseTooLarge(config.maxResponseBytes()));
            }
            if (!config.storedStatuses().stores(response.status())) {
                claim.abandon();
                return new Outcome.Executed(response, false);
            }
            StoredResponse stored = StoredResponse.of(response.status(), replayable(response.headers()),
                    response.body());
            try {
                // The record lives a time to live from now, not from the claim: a request that ran longer than
                // the time to live is still replayed to its retries.
                claim.complete(stored, config.clock().instant().plus(config.keyTtl()));
            } catch (LeaseLostException e) {
                LOG.log(Level.WARNING, e.getMessage());
                return rejected(Problem.leaseLost(config.retryAfter()));
            } catch (StoreException e) {
                return mode.outcomeNotStored(e, config);
            }
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

    private Outcome replayOrRefuse(StoredRecord record, RequestFingerprint fingerprint, FingerprintInput input) {
        RequestFingerprint stored = record.fingerprint();
        if (!RequestFingerprint.isKnownVersion(stored.version())) {
            return rejected(Problem.unknownFingerprintVersion(stored.version(), config.retryAfter()));
        }
        return sameRequest(stored, fingerprint, input) ? new Outcome.Replayed(record.response())
                : rejected(Problem.keyReused());
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

    private static Outcome rejected(Problem problem) {
        return new Outcome.Rejected(problem);
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
            Outcome outcomeNotStored(StoreException e, IdempotencyConfig config) {
                if (e instanceof StoreUnavailableException) {
                    LOG.log(Level.WARNING, "Idempotency store unavailable while storing an outcome; effects rolled "
                            + "back, answering 503", e);
                    return rejected(Problem.storeUnavailable(config.retryAfter()));
                }
                LOG.log(Level.ERROR, "Idempotency store failed while storing an outcome; effects rolled back, "
                        + "answering 500", e);
                return rejected(Problem.storeFailure());
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
            Outcome outcomeNotStored(StoreException e, IdempotencyConfig config) {
                // Nothing rolls back in lease mode: the key stays leased until the claim's release (attempted by
                // the store) or the lease's end, and the retry after it runs the handler again.
                LOG.log(Level.WARNING, "Idempotency store failed while storing a lease-mode outcome; answering 503",
                        e);
                return rejected(Problem.leaseOutcomeNotStored(config.leaseDuration()));
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

        /** The answer when storing the outcome failed with {@code e} (other than a lost lease). */
        abstract Outcome outcomeNotStored(StoreException e, IdempotencyConfig config);
    }
}
