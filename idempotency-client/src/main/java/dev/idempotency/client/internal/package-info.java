/**
 * The client's internals: header parsing, backoff, buffered answers. Not exported; may change at any time.
 */
package dev.idempotency.client.internal;
