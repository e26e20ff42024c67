/**
 * The Idempotency-Key protocol, independent of any web framework or database: settings, the decision
 * engine, the store SPI and the in-memory store. Its only dependency is Jackson's streaming parser, for
 * canonical JSON fingerprints.
 *
 * <p>Applications use {@code dev.idempotency} and {@code dev.idempotency.store}; framework adapters
 * {@code dev.idempotency.adapter}; store implementations {@code dev.idempotency.spi}. The
 * {@code dev.idempotency.internal} package is exported to this library's JDBC module, which runs its
 * background work on the same scheduler and purge, and to its webhook module; both report to listeners
 * ({@code dev.idempotency.event}) through the same guard.
 */
@SuppressWarnings("module") // the JDBC and webhook modules are built after this one
module dev.idempotency.core {
    requires com.fasterxml.jackson.core;

    exports dev.idempotency;
    exports dev.idempotency.adapter;
    exports dev.idempotency.event;
    exports dev.idempotency.spi;
    exports dev.idempotency.store;
    exports dev.idempotency.internal to dev.idempotency.jdbc, dev.idempotency.webhooks;
}
