/**
 * The Idempotency-Key protocol, independent of any web framework or database: settings, the decision
 * engine, the store SPI and the in-memory store. Its only dependency is Jackson's streaming parser, for
 * canonical JSON fingerprints.
 *
 * <p>Applications use {@code dev.idempotency} and {@code dev.idempotency.store}; framework adapters
 * {@code dev.idempotency.adapter}; store implementations {@code dev.idempotency.spi}. The
 * {@code dev.idempotency.internal} package is not exported.
 */
module dev.idempotency.core {
    requires com.fasterxml.jackson.core;

    exports dev.idempotency;
    exports dev.idempotency.adapter;
    exports dev.idempotency.spi;
    exports dev.idempotency.store;
}
