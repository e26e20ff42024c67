package dev.idempotency.rabbitmq.internal;

import java.nio.charset.StandardCharsets;

/**
 * An outbox message's destination for RabbitMQ: {@code exchange/routing-key}, split at the first {@code /}. The
 * exchange may be empty (the default exchange, which routes to the queue named by the routing key); the routing
 * key may hold further {@code /}s.
 *
 * @param exchange the exchange's name, {@code ""} for the default exchange
 * @param routingKey the routing key, possibly empty
 */
public record Destination(String exchange, String routingKey) {

    /** AMQP 0-9-1 short strings, which names and routing keys are, hold at most this many bytes. */
    public static final int MAX_SHORT_STRING_BYTES = 255;

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException saying what is wrong, if it has no {@code /} or a part is too long
     */
    public static Destination parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("The destination '" + text + "' is not exchange/routing-key: a "
                    + "RabbitMQ destination names the exchange and the routing key, such as orders/order.created, or "
                    + "/orders-queue for the default exchange");
        }
        Destination destination = new Destination(text.substring(0, slash), text.substring(slash + 1));
        requireShort("exchange", destination.exchange);
        requireShort("routing key", destination.routingKey);
        return destination;
    }

    /** The destination as text, the inverse of {@link #parse}. */
    public String text() {
        return exchange + "/" + routingKey;
    }

    /**
     * Checks that {@code value} fits an AMQP short string.
     *
     * @throws IllegalArgumentException naming {@code what}, if it does not
     */
    public static void requireShort(String what, String value) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SHORT_STRING_BYTES) {
            throw new IllegalArgumentException("The " + what + " is " + bytes + " bytes in UTF-8; AMQP allows at most "
                    + MAX_SHORT_STRING_BYTES);
        }
    }
}
