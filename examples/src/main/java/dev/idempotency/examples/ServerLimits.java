package dev.idempotency.examples;

import java.time.Duration;
import java.util.Objects;

/**
 * How the demo's Jetty protects itself from clients that are slow or send too much: the settings of its
 * thread pool, connector and HTTP parser, set as a service facing the internet should set them. Immutable;
 * {@link #DEFAULTS} is what the demo runs with, and tests start a server with other values (a smaller pool,
 * say) through {@link PublishingApiServer#start(Options, ServerLimits)}.
 *
 * <p>The threat they answer: a client that sends a request's headers and then its body a byte at a time.
 * Jetty parses headers without holding a thread, but a servlet reading the body holds one for as long as the
 * body takes (the idempotency filter reads it whole, before claiming the key, so no database connection is
 * held meanwhile). A few hundred such clients would hold every thread, and every other client would wait.
 * Two settings bound that: the minimum request data rate drops a body that arrives more slowly, at the
 * first read after its rate fell below it, and the idle timeout drops a request that sends nothing at all.
 *
 * @param maxThreads the most threads Jetty's pool runs; Jetty's default {@value #DEFAULT_MAX_THREADS}
 * @param minRequestDataRate the slowest a request body may arrive, in bytes a second, measured from its first
 *     byte; a slower body is answered 408 and its connection closed
 * @param idleTimeout how long a connection may send nothing, while a body is read or between requests,
 *     before it is closed; a handler that takes longer is not affected
 * @param acceptQueueSize how many connections the operating system may hold for the server before it accepts
 *     them (the listen backlog)
 * @param requestHeaderBytes the largest request line and header section together; a larger request line is
 *     answered 414, larger headers 431
 */
record ServerLimits(int maxThreads, long minRequestDataRate, Duration idleTimeout, int acceptQueueSize,
        int requestHeaderBytes) {

    /** Jetty's own default, kept: the flood is answered by the rate and the timeout, not by more threads. */
    static final int DEFAULT_MAX_THREADS = 200;

    /**
     * 256 bytes a second. Jetty measures a body's rate from its first byte, without a grace period, so the
     * floor is low enough that a 100-byte body split by a 200 ms pause (a client's Nagle delay waiting for the
     * server's delayed acknowledgement) still passes, and high enough that a body sent a byte every second or
     * two is dropped at its second byte.
     */
    static final long DEFAULT_MIN_REQUEST_DATA_RATE = 256;

    /** 10 seconds instead of Jetty's 30: a request whose client went silent holds its thread no longer. */
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(10);

    /** A bounded backlog: connections beyond it wait in the client's retransmissions, not in the server. */
    static final int DEFAULT_ACCEPT_QUEUE_SIZE = 128;

    /** Jetty's default, 8 KiB, named here because the 414 and 431 answers quote it. */
    static final int DEFAULT_REQUEST_HEADER_BYTES = 8 * 1024;

    /** The demo's settings. */
    static final ServerLimits DEFAULTS = new ServerLimits(DEFAULT_MAX_THREADS, DEFAULT_MIN_REQUEST_DATA_RATE,
            DEFAULT_IDLE_TIMEOUT, DEFAULT_ACCEPT_QUEUE_SIZE, DEFAULT_REQUEST_HEADER_BYTES);

    /** Checks the values: each must be positive. */
    ServerLimits {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxThreads < 1 || minRequestDataRate < 1 || idleTimeout.isNegative() || idleTimeout.isZero()
                || acceptQueueSize < 1 || requestHeaderBytes < 1) {
            throw new IllegalArgumentException("Every server limit must be positive: maxThreads=" + maxThreads
                    + ", minRequestDataRate=" + minRequestDataRate + ", idleTimeout=" + idleTimeout
                    + ", acceptQueueSize=" + acceptQueueSize + ", requestHeaderBytes=" + requestHeaderBytes);
        }
    }

    /** These limits with another idle timeout. */
    ServerLimits withIdleTimeout(Duration idleTimeout) {
        return new ServerLimits(maxThreads, minRequestDataRate, idleTimeout, acceptQueueSize, requestHeaderBytes);
    }

    /** These limits with another thread pool size. */
    ServerLimits withMaxThreads(int maxThreads) {
        return new ServerLimits(maxThreads, minRequestDataRate, idleTimeout, acceptQueueSize, requestHeaderBytes);
    }
}
