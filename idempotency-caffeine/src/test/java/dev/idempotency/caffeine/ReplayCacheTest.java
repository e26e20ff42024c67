package dev.idempotency.caffeine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.Idempotency;
import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.Outcome;
import dev.idempotency.adapter.RequestHandler;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spi.IdempotencyStore;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.store.InMemoryIdempotencyStore;
import dev.idempotency.testing.TestRequests;
import dev.idempotency.testing.MutableClock;
import dev.idempotency.testing.PostgresDatabaseExtension;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The replay cache in front of a real PostgreSQL store and the in-memory store: a hit asks the database nothing
 * and answers what the store would; everything that is not a replay of the same request goes to the store; an
 * entry is never answered after its record expired; the bounds hold.
 */
class ReplayCacheTest {

    @RegisterExtension
    final PostgresDatabaseExtension db = PostgresDatabaseExtension.create();

    private final AtomicInteger handled = new AtomicInteger();
    private final RequestHandler created = body -> HandlerResponse.of(201,
            List.of(new Header("Content-Type", "application/json"), new Header("Location", "/orders/"
                    + handled.incrementAndGet())), ("{\"id\":" + handled.get() + "}").getBytes(UTF_8));

    /** A POST of {@code body} under {@code key} by client {@code client-a}. */
    private static IncomingRequest post(String key, String body) {
        return TestRequests.post("client-a", key, body);
    }

    /** The pool, counting the connections the store takes from it: no connection, no round trip. */
    private static DataSource counting(DataSource pool, AtomicInteger connections) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        connections.incrementAndGet();
                    }
                    try {
                        return method.invoke(pool, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aReplayThatHitsTheCacheAsksTheDatabaseNothingAndAnswersWhatTheStoreWould() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        JdbcIdempotencyStore jdbc = JdbcIdempotencyStore.builder().dataSource(counting(db.dataSource(), connections))
                .purgeInterval(Duration.ZERO).build();
        ReplayCache cache = ReplayCache.builder(jdbc).build();
        Idempotency engine = Idempotency.create(cache);

        Outcome.Executed first = assertInstanceOf(Outcome.Executed.class,
                engine.process(post("k-1", "{\"item\":\"book\"}"), created));
        Outcome.Replayed fromStore = assertInstanceOf(Outcome.Replayed.class,
                engine.process(post("k-1", "{\"item\":\"book\"}"), created));
        assertEquals(1, cache.estimatedSize(), "the store's completed outcome is kept");

        int before = connections.get();
        Outcome.Replayed fromCache = assertInstanceOf(Outcome.Replayed.class,
                engine.process(post("k-1", "{\"item\":\"book\"}"), created));
        assertEquals(before, connections.get(), "a hit takes no connection, so makes no round trip");
        assertEquals(fromStore.response(), fromCache.response(), "the same outcome as the store's replay");
        assertEquals(201, fromCache.response().status());
        assertEquals("/orders/1", fromCache.response().header("Location"));
        assertArrayEquals(first.response().body(), fromCache.response().body());
        assertEquals(1, handled.get(), "the handler ran once");
    }

    @Test
    void whatIsNotAReplayOfTheSameRequestGoesToTheStore() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        ReplayCache cache = ReplayCache.builder(JdbcIdempotencyStore.builder()
                .dataSource(counting(db.dataSource(), connections)).purgeInterval(Duration.ZERO).build()).build();
        Idempotency engine = Idempotency.create(cache);
        engine.process(post("k-2", "{\"item\":\"book\"}"), created);
        engine.process(post("k-2", "{\"item\":\"book\"}"), created);

        int before = connections.get();
        Outcome.Rejected reused = assertInstanceOf(Outcome.Rejected.class,
                engine.process(post("k-2", "{\"item\":\"lamp\"}"), created));
        assertEquals(422, reused.problem().status(), "a reused key with another body is refused, as without cache");
        assertTrue(connections.get() > before, "the refusal came from the store");

        before = connections.get();
        assertInstanceOf(Outcome.Executed.class, engine.process(post("k-3", "{\"item\":\"book\"}"), created));
        assertTrue(connections.get() > before, "a new key is claimed in the store");
        assertEquals(2, handled.get());
    }

    @Test
    void anEntryIsNeverAnsweredOnceItsRecordExpired() throws Exception {
        MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        ReplayCache cache = ReplayCache.builder(InMemoryIdempotencyStore.create()).clock(clock).build();
        Idempotency engine = Idempotency.create(cache,
                IdempotencyConfig.custom().keyTtl(Duration.ofHours(1)).clock(clock).build());
        engine.process(post("k-4", "{}"), created);
        assertInstanceOf(Outcome.Replayed.class, engine.process(post("k-4", "{}"), created));
        assertEquals(1, cache.estimatedSize());

        clock.advance(Duration.ofMinutes(59));
        assertInstanceOf(Outcome.Replayed.class, engine.process(post("k-4", "{}"), created), "still within the TTL");
        clock.advance(Duration.ofMinutes(1));
        assertInstanceOf(Outcome.Executed.class, engine.process(post("k-4", "{}"), created),
                "at the record's expiry the cache no longer answers: the key is claimed anew");
        assertEquals(2, handled.get());
    }

    @Test
    void theBoundsOnEntriesAndOnAnEntrysSizeHold() throws Exception {
        ReplayCache cache = ReplayCache.builder(InMemoryIdempotencyStore.create()).maximumEntries(3)
                .maximumEntryBytes(1_000).build();
        Idempotency engine = Idempotency.create(cache);
        for (int i = 0; i < 20; i++) {
            engine.process(post("k-" + i, "{}"), created);
            engine.process(post("k-" + i, "{}"), created);
        }
        assertTrue(cache.estimatedSize() <= 3, () -> "at most 3 entries, not " + cache.estimatedSize());

        RequestHandler large = body -> HandlerResponse.of(200, List.of(), new byte[2_000]);
        engine.process(post("big", "{}"), large);
        long size = cache.estimatedSize();
        engine.process(post("big", "{}"), large);
        engine.process(post("big", "{}"), large);
        assertTrue(cache.estimatedSize() <= size, "an outcome over maximumEntryBytes is not cached");
    }

    @Test
    void invalidateForgetsAKeyForEveryRequest() throws Exception {
        ReplayCache cache = ReplayCache.builder(InMemoryIdempotencyStore.create()).build();
        Idempotency engine = Idempotency.create(cache);
        engine.process(post("k-5", "{}"), created);
        engine.process(post("k-5", "{}"), created);
        engine.process(post("k-6", "{}"), created);
        engine.process(post("k-6", "{}"), created);
        assertEquals(2, cache.estimatedSize());

        Outcome.Replayed replayed = assertInstanceOf(Outcome.Replayed.class, engine.process(post("k-5", "{}"), created));
        RecordKey key = new RecordKey("client-a", dev.idempotency.IdempotencyKey.of("k-5"));
        cache.invalidate(key);
        assertEquals(1, cache.estimatedSize(), "k-6 is kept");
        assertEquals(replayed.response(), assertInstanceOf(Outcome.Replayed.class,
                engine.process(post("k-5", "{}"), created)).response(), "the store still answers");
    }

    @Test
    void anOptimisticClaimGoesToTheStoreAndItsFallBackIsAnswered() throws Exception {
        ReplayCache cache = ReplayCache.builder(InMemoryIdempotencyStore.create()).build();
        Idempotency engine = Idempotency.create(cache,
                IdempotencyConfig.custom().claim(dev.idempotency.ClaimStrategy.OPTIMISTIC).build());
        assertInstanceOf(Outcome.Executed.class, engine.process(post("k-7", "{}"), created));
        assertInstanceOf(Outcome.Replayed.class, engine.process(post("k-7", "{}"), created),
                "the key was taken, so the request fell back to the usual claim");
        assertEquals(1, cache.estimatedSize(), "whose answer the cache kept");
        assertInstanceOf(Outcome.Replayed.class, engine.process(post("k-7", "{}"), created));
        assertEquals(3, handled.get(), "an optimistic request runs its handler before asking anything");
    }

    @Test
    void badBoundsFailAtStartNamingTheSettingAndTheValue() {
        IdempotencyStore store = InMemoryIdempotencyStore.create();
        IdempotencyConfigException zero = assertThrows(IdempotencyConfigException.class,
                () -> ReplayCache.builder(store).maximumEntries(0).build());
        assertEquals("ReplayCache.maximumEntries", zero.setting());
        assertTrue(zero.getMessage().contains("'0'"), zero.getMessage());
        IdempotencyConfigException entry = assertThrows(IdempotencyConfigException.class,
                () -> ReplayCache.builder(store).maximumBytes(1_000).maximumEntryBytes(2_000).build());
        assertEquals("ReplayCache.maximumEntryBytes", entry.setting());
    }
}
