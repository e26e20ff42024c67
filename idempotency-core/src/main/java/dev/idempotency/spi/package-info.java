/**
 * The store SPI: how the protocol claims a key, runs the handler inside the claim, completes it with an
 * outcome, and finds earlier outcomes. Implement {@link dev.idempotency.spi.IdempotencyStore} and
 * {@link dev.idempotency.spi.Claim} (whose life cycle {@link dev.idempotency.spi.ClaimLifecycle} enforces) to
 * keep records somewhere new, and run the contract suite published in {@code idempotency-testing} against it.
 * Applications only meet these types when they pass a store around or catch a
 * {@link dev.idempotency.spi.StoreException}.
 */
package dev.idempotency.spi;
