package dev.idempotency.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Feeds a {@link MessageDigest} through a small buffer, with length-prefixed fields so that no two
 * different sequences of fields can produce the same byte stream.
 */
final class DigestSink {

    private static final byte[] HEX_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /** The largest buffer a sink uses. */
    static final int MAX_BUFFER = 8192;

    private final MessageDigest digest;
    private final byte[] buffer;
    private int position;

    /**
     * @param expectedBytes about how many bytes will be written: the buffer is no larger than needed for
     *     them, so a small request does not allocate (and zero) the full {@value #MAX_BUFFER} bytes
     */
    DigestSink(MessageDigest digest, int expectedBytes) {
        this.digest = digest;
        this.buffer = new byte[Math.min(MAX_BUFFER, Math.max(64, expectedBytes))];
    }

    void write(int b) {
        if (position == buffer.length) {
            flush();
        }
        buffer[position++] = (byte) b;
    }

    void write(byte[] bytes, int offset, int length) {
        if (length >= buffer.length) {
            flush();
            digest.update(bytes, offset, length);
            return;
        }
        if (position + length > buffer.length) {
            flush();
        }
        System.arraycopy(bytes, offset, buffer, position, length);
        position += length;
    }

    void writeInt(int value) {
        write(value >>> 24);
        write(value >>> 16);
        write(value >>> 8);
        write(value);
    }

    /** A length-prefixed byte field. */
    void field(byte[] bytes) {
        writeInt(bytes.length);
        write(bytes, 0, bytes.length);
    }

    /** A length-prefixed UTF-8 string field. */
    void field(String value) {
        field(value.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code s} as UTF-8; lone surrogates become {@code \\uXXXX} escapes so they stay distinct. */
    void writeUtf8(String s) {
        writeUtf8(s, 0, s.length());
    }

    /** Writes characters {@code from} (inclusive) to {@code to} (exclusive) of {@code s}, as {@link #writeUtf8(String)}. */
    void writeUtf8(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                write(c);
            } else if (c < 0x800) {
                write(0xC0 | (c >> 6));
                write(0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < to
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                write(0xF0 | (cp >> 18));
                write(0x80 | ((cp >> 12) & 0x3F));
                write(0x80 | ((cp >> 6) & 0x3F));
                write(0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                writeUnicodeEscape(c);
            } else {
                write(0xE0 | (c >> 12));
                write(0x80 | ((c >> 6) & 0x3F));
                write(0x80 | (c & 0x3F));
            }
        }
    }

    /**
     * Writes {@code \\u} and the four lower-case hex digits of {@code c}: the bytes {@code String.format("\\u%04x", c)}
     * gives, without its cost (a format string parsed per call, which dominated bodies with many escapes).
     */
    void writeUnicodeEscape(char c) {
        write('\\');
        write('u');
        write(HEX_DIGITS[(c >> 12) & 0xF]);
        write(HEX_DIGITS[(c >> 8) & 0xF]);
        write(HEX_DIGITS[(c >> 4) & 0xF]);
        write(HEX_DIGITS[c & 0xF]);
    }

    void writeAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            write(s.charAt(i));
        }
    }

    byte[] finish() {
        flush();
        return digest.digest();
    }

    private void flush() {
        if (position > 0) {
            digest.update(buffer, 0, position);
            position = 0;
        }
    }
}
