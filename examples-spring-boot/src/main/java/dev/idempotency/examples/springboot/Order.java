package dev.idempotency.examples.springboot;

/**
 * An order as stored in the {@code orders} table and sent as JSON: {@code {"id": 1, "item": "book"}}.
 *
 * @param id the generated key
 * @param item what was ordered
 */
public record Order(long id, String item) {
}
