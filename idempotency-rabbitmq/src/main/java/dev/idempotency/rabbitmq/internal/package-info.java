/**
 * Implementation details of the RabbitMQ module. Nothing in this package is API: it may change in any release
 * without notice.
 */
package dev.idempotency.rabbitmq.internal;
