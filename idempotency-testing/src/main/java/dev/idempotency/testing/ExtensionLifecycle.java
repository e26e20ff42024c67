package dev.idempotency.testing;

/**
 * Decides when a database extension starts and stops from the callbacks JUnit sends it.
 *
 * <p>JUnit calls {@code beforeAll} only on extensions registered in static fields, so an extension that
 * sees {@code beforeAll} lives for its class, and one that sees only {@code beforeEach} lives for one test.
 * A static extension also receives {@code beforeAll}/{@code afterAll} for every {@code @Nested} class
 * below its own; counting them keeps one database for the outermost class.
 */
final class ExtensionLifecycle {

    private enum Mode { IDLE, PER_CLASS, PER_TEST }

    private Mode mode = Mode.IDLE;
    private int classDepth;

    /** Returns whether the database must start now. */
    synchronized boolean beforeAll() {
        classDepth++;
        if (mode == Mode.IDLE) {
            mode = Mode.PER_CLASS;
            return true;
        }
        return false;
    }

    /** Returns whether the database must stop now. */
    synchronized boolean afterAll() {
        if (classDepth > 0) {
            classDepth--;
        }
        if (classDepth == 0 && mode == Mode.PER_CLASS) {
            mode = Mode.IDLE;
            return true;
        }
        return false;
    }

    /** Returns whether the database must start now. */
    synchronized boolean beforeEach() {
        if (mode == Mode.IDLE) {
            mode = Mode.PER_TEST;
            return true;
        }
        return false;
    }

    /** Returns whether the database must stop now. */
    synchronized boolean afterEach() {
        if (mode == Mode.PER_TEST) {
            mode = Mode.IDLE;
            return true;
        }
        return false;
    }
}
