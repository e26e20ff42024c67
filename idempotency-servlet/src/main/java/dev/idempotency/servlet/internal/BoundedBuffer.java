package dev.idempotency.servlet.internal;

import java.util.Arrays;

/**
 * A growable byte buffer that stops keeping bytes past a limit and remembers that it overflowed, so a
 * handler that writes gigabytes costs at most {@code limit} bytes of memory.
 */
final class BoundedBuffer {

    private final int limit;
    private byte[] bytes = new byte[256];
    private int size;
    private boolean overflowed;

    BoundedBuffer(int limit) {
        this.limit = limit;
    }

    void write(int b) {
        if (ensure(1)) {
            bytes[size++] = (byte) b;
        }
    }

    void write(byte[] source, int offset, int length) {
        if (ensure(length)) {
            System.arraycopy(source, offset, bytes, size, length);
            size += length;
        }
    }

    private boolean ensure(int extra) {
        if (overflowed) {
            return false;
        }
        if ((long) size + extra > limit) {
            overflowed = true;
            bytes = new byte[0];
            size = 0;
            return false;
        }
        if (size + extra > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max((long) size + extra, bytes.length * 2L)));
        }
        return true;
    }

    void reset() {
        size = 0;
        overflowed = false;
        bytes = new byte[256];
    }

    boolean overflowed() {
        return overflowed;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }
}
