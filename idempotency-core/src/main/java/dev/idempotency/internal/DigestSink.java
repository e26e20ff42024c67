package dev.idempotency.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Feeds a {@link MessageDigest} through a small buffer, with length-prefixed fields so that no two
 * different sequences of fields can produce the same byte stream.
 */
final class DigestSink {

    private final MessageDigest digest;
    private final byte[] buffer = new byte[8192];
    private int position;

    DigestSink(MessageDigest digest) {
        this.digest = digest;
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
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                write(c);
            } else if (c < 0x800) {
                write(0xC0 | (c >> 6));
                write(0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                write(0xF0 | (cp >> 18));
                write(0x80 | ((cp >> 12) & 0x3F));
                write(0x80 | ((cp >> 6) & 0x3F));
                write(0x80 | (cp & 0x3F));
            } else if (Character.isSurrogate(c)) {
                writeAscii(String.format("\\u%04x", (int) c));
            } else {
                write(0xE0 | (c >> 12));
                write(0x80 | ((c >> 6) & 0x3F));
                write(0x80 | (c & 0x3F));
            }
        }
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
