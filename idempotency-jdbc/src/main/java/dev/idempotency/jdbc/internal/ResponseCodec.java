package dev.idempotency.jdbc.internal;

import dev.idempotency.Header;
import dev.idempotency.StoredResponse;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A stored outcome's headers and body in one column (its status has a column of its own): a format byte, then
 * the format's bytes.
 *
 * <ul>
 *   <li>{@value #COMPACT}, written by this release: the number of headers, each header's name (one byte for a
 *       {@linkplain #WELL_KNOWN well-known name} in its exact case, or 0 and the name), its value, then the
 *       body to the end. Numbers are unsigned LEB128 varints; names and values are a varint length and UTF-8.
 *   <li>{@value #MIGRATED}, written only by the migration V6 for records stored before it: the headers as the
 *       JSON array of {@code [name, value]} pairs those records held ({@link HeaderCodec}), a zero byte, then
 *       the body. UTF-8 JSON never holds a zero byte, so the first one ends it. The SQL of every engine can
 *       build this form by concatenation, so the migration needs no code.
 * </ul>
 *
 * <p>Order, repeats and the case of names come back as they went in. Names and values are stored as UTF-8, so
 * a lone surrogate (which no HTTP header can carry) comes back as {@code ?}, as it did through a text column.
 * The well-known names and their codes are part of the stored format: never reorder or remove one.
 */
public final class ResponseCodec {

    static final byte MIGRATED = 0;
    static final byte COMPACT = 1;

    /** Names coded in one byte (their position + 1), in the case servlet containers and frameworks write them. */
    static final List<String> WELL_KNOWN = List.of("Content-Type", "Location", "Content-Language", "Cache-Control",
            "ETag", "Last-Modified", "Link", "Vary", "Retry-After", "Content-Disposition", "Content-Encoding",
            "Content-Location", "Expires", "Preference-Applied", "Deprecation", "Sunset",
            "content-type", "location", "content-language", "cache-control", "etag", "last-modified", "link", "vary",
            "retry-after", "content-disposition", "content-encoding", "content-location", "expires");

    private static final Map<String, Integer> CODES = IntStream.range(0, WELL_KNOWN.size()).boxed()
            .collect(Collectors.toUnmodifiableMap(WELL_KNOWN::get, Function.identity()));

    private ResponseCodec() {
    }

    /** The column's bytes for {@code response}'s headers and body. */
    public static byte[] encode(StoredResponse response) {
        byte[] body = response.body();
        List<Header> headers = response.headers();
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + body.length + headers.size() * 32);
        out.write(COMPACT);
        writeVarint(out, headers.size());
        for (Header header : headers) {
            Integer code = CODES.get(header.name());
            if (code != null) {
                out.write(code + 1);
            } else {
                out.write(0);
                writeString(out, header.name());
            }
            writeString(out, header.value());
        }
        out.writeBytes(body);
        return out.toByteArray();
    }

    /**
     * The outcome of {@code status} stored as {@code stored}.
     *
     * @throws IllegalStateException if {@code stored} is not in one of the formats above (a damaged row)
     */
    public static StoredResponse decode(int status, byte[] stored) {
        if (stored == null || stored.length == 0) {
            throw new IllegalStateException("A completed record has no stored response");
        }
        return switch (stored[0]) {
            case COMPACT -> decodeCompact(status, stored);
            case MIGRATED -> decodeMigrated(status, stored);
            default -> throw new IllegalStateException("A stored response has the unknown format " + stored[0]
                    + "; it was written by a later release of the library");
        };
    }

    private static StoredResponse decodeCompact(int status, byte[] stored) {
        Reader in = new Reader(stored, 1);
        int count = in.varint();
        List<Header> headers = new ArrayList<>(Math.min(count, 64));
        for (int i = 0; i < count; i++) {
            int code = in.unsignedByte();
            String name;
            if (code == 0) {
                name = in.string();
            } else if (code <= WELL_KNOWN.size()) {
                name = WELL_KNOWN.get(code - 1);
            } else {
                throw new IllegalStateException("A stored response names header code " + code + ", which is unknown");
            }
            headers.add(new Header(name, in.string()));
        }
        return StoredResponse.of(status, headers, Arrays.copyOfRange(stored, in.position, stored.length));
    }

    private static StoredResponse decodeMigrated(int status, byte[] stored) {
        int end = 1;
        while (end < stored.length && stored[end] != 0) {
            end++;
        }
        if (end == stored.length) {
            throw new IllegalStateException("A migrated stored response has no end to its headers");
        }
        List<Header> headers = HeaderCodec.decode(new String(stored, 1, end - 1, StandardCharsets.UTF_8));
        return StoredResponse.of(status, headers, Arrays.copyOfRange(stored, end + 1, stored.length));
    }

    private static void writeString(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        writeVarint(out, bytes.length);
        out.writeBytes(bytes);
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        int rest = value;
        while ((rest & ~0x7F) != 0) {
            out.write((rest & 0x7F) | 0x80);
            rest >>>= 7;
        }
        out.write(rest);
    }

    /** Reads the compact format, refusing anything that runs past the end. */
    private static final class Reader {
        private final byte[] bytes;
        private int position;

        Reader(byte[] bytes, int position) {
            this.bytes = bytes;
            this.position = position;
        }

        int unsignedByte() {
            if (position >= bytes.length) {
                throw new IllegalStateException("A stored response ends inside its headers");
            }
            return bytes[position++] & 0xFF;
        }

        int varint() {
            int value = 0;
            for (int shift = 0; shift < 32; shift += 7) {
                int b = unsignedByte();
                value |= (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    if (value < 0) {
                        break;
                    }
                    return value;
                }
            }
            throw new IllegalStateException("A stored response holds a length out of range");
        }

        String string() {
            int length = varint();
            if (length > bytes.length - position) {
                throw new IllegalStateException("A stored response ends inside a header");
            }
            String value = new String(bytes, position, length, StandardCharsets.UTF_8);
            position += length;
            return value;
        }
    }
}
