/**
 * Not API: the cached readings behind the backlog gauges. May change in any release; not exported.
 */
package dev.idempotency.micrometer.internal;
