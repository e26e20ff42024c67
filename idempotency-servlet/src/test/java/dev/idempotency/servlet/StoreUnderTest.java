package dev.idempotency.servlet;

import dev.idempotency.spi.IdempotencyStore;
import java.lang.reflect.InvocationTargetException;
import java.util.function.Supplier;

/**
 * The store a {@link JettyApp} puts under its filter, with what the tests observe of it. Each app opens
 * one with {@link #open()} when it starts and closes it when it stops.
 *
 * <p>The store comes from the class named by the system property {@value #FACTORY_PROPERTY}: a public
 * class with a public no-argument constructor that implements {@code Supplier<StoreUnderTest>}. Without
 * the property the store is a fresh {@link dev.idempotency.store.InMemoryIdempotencyStore}. The
 * {@code integration-tests} module runs these same tests with factories for the JDBC store on H2 and on
 * PostgreSQL. (The property deliberately lies outside {@code idempotency.*}: the filter refuses to start
 * on a system property of that prefix that it does not know.)
 *
 * <p>Every app must see an empty store: a factory either makes a new store each time or isolates the apps
 * that share one.
 */
public interface StoreUnderTest extends AutoCloseable {

    /** The system property naming the factory class. */
    String FACTORY_PROPERTY = "servlet.test.store-factory";

    /** The store to hand to the filter. */
    IdempotencyStore store();

    /**
     * How many records, in whatever state, a new reader of the store finds now. An open claim counts only
     * where others can see it: always in the in-memory store, but not in the JDBC store, where (in the
     * default transaction mode) a claim is an uncommitted row until it commits with its outcome. Tests
     * therefore ask only while no request with a key is running, when every store holds exactly the
     * outcomes stored.
     */
    int recordCount();

    /** Releases the store and whatever was made for it (pools, databases, schemas). */
    @Override
    void close();

    /**
     * A store from the factory {@value #FACTORY_PROPERTY} names, or a fresh in-memory store without it.
     *
     * @throws IllegalStateException if the property names no usable factory, or the factory fails
     */
    static StoreUnderTest open() {
        String factoryName = System.getProperty(FACTORY_PROPERTY);
        if (factoryName == null || factoryName.isBlank()) {
            return new InMemoryStoreUnderTest();
        }
        Supplier<?> factory = instantiate(factoryName.trim());
        Object made = factory.get();
        if (!(made instanceof StoreUnderTest store)) {
            throw new IllegalStateException("The factory " + factoryName + " named by " + FACTORY_PROPERTY
                    + " returned " + (made == null ? "null" : "a " + made.getClass().getName())
                    + " instead of a " + StoreUnderTest.class.getName());
        }
        return store;
    }

    private static Supplier<?> instantiate(String factoryName) {
        String problem = "System property " + FACTORY_PROPERTY + "='" + factoryName + "' must name a public class"
                + " with a public no-argument constructor implementing java.util.function.Supplier<"
                + StoreUnderTest.class.getName() + ">";
        Class<?> type;
        try {
            type = Class.forName(factoryName, true, StoreUnderTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(problem + "; no such class is on the test class path", e);
        }
        if (!Supplier.class.isAssignableFrom(type)) {
            throw new IllegalStateException(problem + "; " + type.getName() + " is not a Supplier");
        }
        try {
            return (Supplier<?>) type.getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(problem + "; its constructor failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(problem + "; " + e, e);
        }
    }
}
