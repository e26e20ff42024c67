package dev.idempotency.jdbc.outbox;

import dev.idempotency.Header;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One outbound message: where it goes, its ordering key, its bytes and headers, and a stable id that every
 * (re-)publication carries, so the receiver can deduplicate on it (for example with
 * {@link dev.idempotency.jdbc.inbox.JdbcInbox}).
 *
 * <p>The payload is copied in and out, so a message never changes after it was made. {@code createdAt} is
 * kept to the microsecond, as the databases store it.
 *
 * @param id the stable id, 1 to {@value #MAX_ID_LENGTH} characters, unique in the outbox
 * @param destination where the publisher sends it (a URL, a topic name: the publisher decides), 1 to
 *     {@value #MAX_DESTINATION_LENGTH} characters
 * @param key the ordering key, up to {@value #MAX_KEY_LENGTH} characters, or {@code null} for a message
 *     ordered with no other (see {@link OutboxRelayConfig.Builder#orderedPerKey})
 * @param payload the body bytes (may be empty)
 * @param headers the headers, in order (may be empty)
 * @param createdAt when the message was made
 */
public record OutboxMessage(String id, String destination, String key, byte[] payload, List<Header> headers,
        Instant createdAt) {

    /** The longest id. */
    public static final int MAX_ID_LENGTH = 255;

    /** The longest destination. */
    public static final int MAX_DESTINATION_LENGTH = 2048;

    /** The longest ordering key. */
    public static final int MAX_KEY_LENGTH = 255;

    /**
     * Validates and copies.
     *
     * @throws NullPointerException if anything but {@code key} is null
     * @throws IllegalArgumentException if the id or destination is empty or too long, or the key too long
     */
    public OutboxMessage {
        requireText("id", id, MAX_ID_LENGTH);
        requireText("destination", destination, MAX_DESTINATION_LENGTH);
        if (key != null && key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key must be at most " + MAX_KEY_LENGTH + " characters, not "
                    + key.length());
        }
        payload = Objects.requireNonNull(payload, "payload").clone();
        headers = List.copyOf(Objects.requireNonNull(headers, "headers"));
        createdAt = Objects.requireNonNull(createdAt, "createdAt").truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * A new message with a random UUID as its id, made now.
     *
     * @param key the ordering key, or {@code null}
     */
    public static OutboxMessage of(String destination, String key, byte[] payload, List<Header> headers) {
        return new OutboxMessage(UUID.randomUUID().toString(), destination, key, payload, headers, Instant.now());
    }

    /** A copy of the payload bytes. */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload's length in bytes, without copying it. */
    public int payloadLength() {
        return payload.length;
    }

    /**
     * The value of the first header named {@code name}, the name matched ignoring case.
     *
     * @return the value, or empty if the message has no such header
     */
    public Optional<String> header(String name) {
        Objects.requireNonNull(name, "name");
        for (Header header : headers) {
            if (header.hasName(name)) {
                return Optional.of(header.value());
            }
        }
        return Optional.empty();
    }

    /** Equal when every component is, the payload by content. */
    @Override
    public boolean equals(Object other) {
        return other instanceof OutboxMessage that && id.equals(that.id) && destination.equals(that.destination)
                && Objects.equals(key, that.key) && Arrays.equals(payload, that.payload) && headers.equals(that.headers)
                && createdAt.equals(that.createdAt);
    }

    /** A hash of every component, the payload by content. */
    @Override
    public int hashCode() {
        return Objects.hash(id, destination, key, Arrays.hashCode(payload), headers, createdAt);
    }

    /** The id, destination, key, payload length and headers; never the payload. */
    @Override
    public String toString() {
        return "OutboxMessage[id=" + id + ", destination=" + destination + ", key=" + key + ", payload="
                + payload.length + " bytes, headers=" + headers + ", createdAt=" + createdAt + "]";
    }

    private static void requireText(String name, String value, int maxLength) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty() || value.length() > maxLength) {
            throw new IllegalArgumentException(name + " must be 1 to " + maxLength + " characters, not "
                    + value.length());
        }
    }
}
