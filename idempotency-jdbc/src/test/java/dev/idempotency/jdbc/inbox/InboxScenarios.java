package dev.idempotency.jdbc.inbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyKey;
import dev.idempotency.event.IdempotencyListener;
import dev.idempotency.event.InboxEvent;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.testing.MutableClock;
import dev.idempotency.testing.StoreTestValues;
import dev.idempotency.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The inbox on a real database: each message applied once per consumer, with its effect, in one transaction. */
abstract class InboxScenarios {

    private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

    private final MutableClock clock = MutableClock.at(START);
    private JdbcInbox inbox;
    private String consumer;

    protected abstract TestDatabase database();

    /**
     * How long the first delivery holds its transaction in the test where a concurrent duplicate must wait
     * longer than the engine's lock timeout.
     */
    protected abstract Duration holdPastTheLockTimeout();

    /** A query for the id of the current session (the first column of its one row, an int). */
    protected abstract String currentSessionQuery();

    /**
     * How many sessions other than {@code holder} wait to insert the marker of {@code messageId}, which
     * {@code holder} inserted and has not committed yet.
     */
    protected abstract int deliveriesWaitingFor(Connection connection, int holder, String messageId)
            throws SQLException;

    @BeforeEach
    void createInbox() throws SQLException {
        inbox = JdbcInbox.builder().dataSource(database().dataSource()).clock(clock).purgeInterval(Duration.ZERO).build();
        consumer = "consumer-" + UUID.randomUUID();
        try (Connection c = database().dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS inbox_effects (consumer VARCHAR(200) NOT NULL, "
                    + "message_id VARCHAR(400) NOT NULL)");
        }
    }

    @AfterEach
    void closeInbox() {
        inbox.close();
    }

    /** The message's effect: one row, written through the inbox's transaction-joining DataSource. */
    private Void applyEffect(String messageId) throws SQLException {
        try (Connection c = inbox.transactionalDataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO inbox_effects (consumer, message_id) VALUES (?, ?)")) {
            ps.setString(1, consumer);
            ps.setString(2, messageId);
            ps.executeUpdate();
        }
        return null;
    }

    private int effects(String messageId) throws SQLException {
        return count("SELECT count(*) FROM inbox_effects WHERE consumer = ? AND message_id = ?", consumer, messageId);
    }

    private int markers(String messageId) throws SQLException {
        return count("SELECT count(*) FROM " + JdbcInbox.TABLE + " WHERE consumer = ? AND message_id = ?", consumer,
                messageId);
    }

    /** The payload digest the marker of {@code messageId} keeps, or {@code null}. */
    private byte[] storedDigest(String messageId) throws SQLException {
        try (Connection c = database().dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT payload_sha256 FROM " + JdbcInbox.TABLE + " WHERE consumer = ? AND message_id = ?")) {
            ps.setString(1, consumer);
            ps.setString(2, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "no marker for " + messageId);
                return rs.getBytes(1);
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private int count(String sql, String... parameters) throws SQLException {
        try (Connection c = database().dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setString(i + 1, parameters[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The session of the delivery running on this thread, read through the transaction it joins. */
    private int currentSession() throws SQLException {
        try (Connection c = inbox.transactionalDataSource().getConnection();
                PreparedStatement ps = c.prepareStatement(currentSessionQuery()); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * Waits until {@code count} other deliveries of {@code messageId} wait for the marker that the session
     * {@code holder} holds uncommitted: they provably wait for the first delivery's transaction, where a sleep
     * would only hope they had reached it.
     */
    private void awaitDeliveriesWaitingFor(int holder, String messageId, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            int waiting;
            try (Connection c = database().dataSource().getConnection()) {
                waiting = deliveriesWaitingFor(c, holder, messageId);
            }
            if (waiting >= count) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, waiting + " of " + count + " deliveries of " + messageId
                    + " wait for the first after 10 s");
            Thread.sleep(10);
        }
    }

    private static String messageId() {
        return "msg_" + UUID.randomUUID();
    }

    @Test
    void appliesAMessageOnceAndReportsItsRedeliveryAsADuplicate() throws Exception {
        String id = messageId();
        InboxResult<String> first = inbox.process(consumer, id, () -> {
            applyEffect(id);
            return "applied";
        });
        InboxResult<String> second = inbox.process(consumer, id, () -> {
            throw new AssertionError("a duplicate must not run the work");
        });

        assertEquals(new InboxResult.Applied<>("applied"), first);
        assertFalse(first.duplicate());
        assertInstanceOf(InboxResult.Duplicate.class, second);
        assertTrue(second.duplicate());
        assertEquals(1, effects(id));
        assertEquals(1, markers(id));
    }

    @Test
    void eachDeliveryIsReportedOnceByWhatTheInboxMadeOfIt() throws Exception {
        List<InboxEvent> events = new CopyOnWriteArrayList<>();
        String id = messageId();
        byte[] payload = bytes("{\"amount\":100}");
        try (JdbcInbox reporting = JdbcInbox.builder().dataSource(database().dataSource()).clock(clock)
                .purgeInterval(Duration.ZERO).listener(new IdempotencyListener() {
                    @Override
                    public void onInboxMessage(InboxEvent event) {
                        events.add(event);
                    }
                }).build()) {
            reporting.process(consumer, id, payload, () -> {
                applyEffect(id);
                return "applied";
            });
            reporting.process(consumer, id, payload.clone(), () -> "not run");
            reporting.process(consumer, id, bytes("{\"amount\":900}"), () -> "not run");
        }

        assertEquals(List.of(InboxEvent.Result.PROCESSED, InboxEvent.Result.DUPLICATE, InboxEvent.Result.REUSED),
                events.stream().map(InboxEvent::result).toList());
        assertEquals(1, effects(id));
    }

    @Test
    void aRedeliveryWithTheSamePayloadIsADuplicateAndWithAnotherPayloadIsRefusedAsReused() throws Exception {
        String id = messageId();
        byte[] payload = bytes("{\"amount\":100}");
        InboxResult<String> first = inbox.process(consumer, id, payload, () -> {
            applyEffect(id);
            return "applied";
        });
        InboxResult<String> same = inbox.process(consumer, id, payload.clone(), () -> {
            throw new AssertionError("a duplicate must not run the work");
        });
        InboxResult<String> other = inbox.process(consumer, id, bytes("{\"amount\":900}"), () -> {
            throw new AssertionError("a reused id must not run the work");
        });
        InboxResult<String> empty = inbox.process(consumer, id, new byte[0], () -> {
            throw new AssertionError("a reused id must not run the work");
        });

        assertEquals(new InboxResult.Applied<>("applied"), first);
        assertInstanceOf(InboxResult.Duplicate.class, same);
        assertInstanceOf(InboxResult.Reused.class, other);
        assertFalse(other.duplicate(), "a reused id is not a duplicate: its payload was never applied");
        assertInstanceOf(InboxResult.Reused.class, empty);
        assertEquals(1, effects(id));
        assertEquals(1, markers(id));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(payload), storedDigest(id),
                "the marker keeps the SHA-256 of the payload it was applied with");
    }

    @Test
    void theDocumentedPayloadUsageRefusesAnIdReusedForAnotherPayload() throws Exception {
        String eventId = messageId();
        List<String> outcomes = new ArrayList<>();
        for (String text : List.of("{\"amount\":100}", "{\"amount\":100}", "{\"amount\":900}")) {
            byte[] body = bytes(text);
            // tag::inbox-process-payload[]
            InboxResult<Void> result = inbox.process("billing", eventId, body, () -> applyEffect(eventId));
            if (result instanceof InboxResult.Reused) {
                // applied before with another payload: nothing ran; refuse the message, do not acknowledge it
            } else if (result.duplicate()) {
                // applied before with this same payload: nothing ran; acknowledge the message
            }
            // end::inbox-process-payload[]
            outcomes.add(result.getClass().getSimpleName());
        }
        assertEquals(List.of("Applied", "Duplicate", "Reused"), outcomes);
        assertEquals(1, effects(eventId));
    }

    @Test
    void aMarkerWithoutAPayloadDigestAnswersEveryPayloadAsADuplicate() throws Exception {
        String id = messageId();
        inbox.process(consumer, id, () -> applyEffect(id));
        assertNull(storedDigest(id), "process without a payload records no digest");
        assertTrue(inbox.process(consumer, id, bytes("any payload"), () -> {
            throw new AssertionError("a duplicate must not run the work");
        }).duplicate(), "without a digest to compare with, a redelivery is a duplicate, whatever its payload");

        String recorded = messageId();
        inbox.process(consumer, recorded, bytes("first"), () -> applyEffect(recorded));
        assertTrue(inbox.process(consumer, recorded, () -> {
            throw new AssertionError("a duplicate must not run the work");
        }).duplicate(), "without a payload to compare, a redelivery is a duplicate");
        assertEquals(1, effects(id));
        assertEquals(1, effects(recorded));
    }

    @Test
    void aConcurrentDeliveryWithAnotherPayloadWaitsForTheFirstAndIsThenRefusedAsReused() throws Exception {
        String id = messageId();
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        int[] firstSession = new int[1];
        CompletableFuture<InboxResult<Void>> first = CompletableFuture.supplyAsync(
                () -> process(id, bytes("first"), () -> {
                    applyEffect(id);
                    firstSession[0] = currentSession();
                    firstInside.countDown();
                    assertTrue(releaseFirst.await(10, TimeUnit.SECONDS));
                    return null;
                }));
        assertTrue(firstInside.await(10, TimeUnit.SECONDS));
        CompletableFuture<InboxResult<Void>> second = CompletableFuture.supplyAsync(
                () -> process(id, bytes("second"), () -> {
                    throw new AssertionError("a reused id must not run the work");
                }));
        awaitDeliveriesWaitingFor(firstSession[0], id, 1);
        assertFalse(second.isDone(), "the second delivery waits on the first delivery's uncommitted marker");
        releaseFirst.countDown();

        assertInstanceOf(InboxResult.Applied.class, first.get(10, TimeUnit.SECONDS));
        assertInstanceOf(InboxResult.Reused.class, second.get(10, TimeUnit.SECONDS));
        assertEquals(1, effects(id));
    }

    @Test
    void theDocumentedUsageAppliesAnEventOnceAndSkipsItsRedelivery() throws Exception {
        DataSource pool = database().dataSource();
        String eventId = messageId();
        List<Boolean> duplicates = new ArrayList<>();
        // tag::inbox-create[]
        JdbcInbox inbox = JdbcInbox.create(pool);        // creates its table; purges expired markers every minute
        DataSource db = inbox.transactionalDataSource(); // give this to the code that applies events
        // end::inbox-create[]
        try (inbox) {
            for (int delivery = 1; delivery <= 2; delivery++) {
                // tag::inbox-process[]
                InboxResult<Void> result = inbox.process("billing", eventId, () -> {
                    try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                            "INSERT INTO inbox_effects (consumer, message_id) VALUES (?, ?)")) {
                        insert.setString(1, "billing");
                        insert.setString(2, eventId);
                        insert.executeUpdate();                 // commits with the marker, or not at all
                    }
                    return null;
                });
                if (result.duplicate()) {
                    // applied before: nothing ran, nothing was written; acknowledge the message
                }
                // end::inbox-process[]
                duplicates.add(result.duplicate());
            }
        }
        assertEquals(List.of(false, true), duplicates);
        assertEquals(1, count("SELECT count(*) FROM inbox_effects WHERE consumer = 'billing' AND message_id = ?",
                eventId));
    }

    @Test
    void theWorksWritesAndTheMarkerCommitTogether() throws Exception {
        String id = messageId();
        inbox.process(consumer, id, () -> {
            applyEffect(id);
            assertTrue(inbox.transactionalDataSource().isInIdempotentRequest());
            assertEquals(0, effects(id), "the effect is not visible to others before the commit");
            assertEquals(0, markers(id), "nor is the marker");
            return null;
        });
        assertFalse(inbox.transactionalDataSource().isInIdempotentRequest(), "the binding ends with the work");
        assertEquals(1, effects(id));
        assertEquals(1, markers(id));
    }

    @Test
    void workThatThrowsRollsBackItsWritesRecordsNoMarkerAndTheRedeliveryApplies() throws Exception {
        String id = messageId();
        Exception failure = new Exception("the downstream service said no");
        Exception thrown = assertThrows(Exception.class, () -> inbox.process(consumer, id, () -> {
            applyEffect(id);
            throw failure;
        }));
        assertSame(failure, thrown, "the work's exception propagates unchanged");
        assertEquals(0, effects(id));
        assertEquals(0, markers(id));

        InboxResult<Void> redelivery = inbox.process(consumer, id, () -> applyEffect(id));
        assertFalse(redelivery.duplicate());
        assertEquals(1, effects(id));
    }

    @Test
    void workCannotCommitTheInboxTransactionOnItsOwn() throws Exception {
        String id = messageId();
        assertThrows(SQLException.class, () -> inbox.process(consumer, id, () -> {
            applyEffect(id);
            try (Connection c = inbox.transactionalDataSource().getConnection()) {
                c.commit();
            }
            return null;
        }));
        assertEquals(0, effects(id));
        assertEquals(0, markers(id));
    }

    @Test
    void concurrentDeliveriesOfOneMessageApplyItExactlyOnce() throws Exception {
        int deliveries = 16;
        String id = messageId();
        CyclicBarrier together = new CyclicBarrier(deliveries);
        ExecutorService threads = Executors.newFixedThreadPool(deliveries);
        try {
            List<Future<InboxResult<Void>>> results = new ArrayList<>();
            for (int i = 0; i < deliveries; i++) {
                results.add(threads.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return inbox.process(consumer, id, () -> {
                        applyEffect(id);
                        // The one that applies commits only once every other delivery waits for it.
                        awaitDeliveriesWaitingFor(currentSession(), id, deliveries - 1);
                        return null;
                    });
                }));
            }
            int applied = 0;
            for (Future<InboxResult<Void>> result : results) {
                if (!result.get(30, TimeUnit.SECONDS).duplicate()) {
                    applied++;
                }
            }
            assertEquals(1, applied, "one delivery applies, " + (deliveries - 1) + " are told they are duplicates");
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1, effects(id));
        assertEquals(1, markers(id));
    }

    @Test
    void aConcurrentDuplicateWaitsForTheFirstDeliveryAndIsThenADuplicate() throws Exception {
        String id = messageId();
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        int[] firstSession = new int[1];
        CompletableFuture<InboxResult<Void>> first = CompletableFuture.supplyAsync(() -> process(id, () -> {
            applyEffect(id);
            firstSession[0] = currentSession();
            firstInside.countDown();
            assertTrue(releaseFirst.await(10, TimeUnit.SECONDS));
            return null;
        }));
        assertTrue(firstInside.await(10, TimeUnit.SECONDS));
        CompletableFuture<InboxResult<Void>> second = CompletableFuture.supplyAsync(() -> process(id, () -> {
            throw new AssertionError("the duplicate must not run the work");
        }));
        awaitDeliveriesWaitingFor(firstSession[0], id, 1);
        assertFalse(second.isDone(), "the duplicate waits on the first delivery's uncommitted marker");
        releaseFirst.countDown();

        assertFalse(first.get(10, TimeUnit.SECONDS).duplicate());
        assertTrue(second.get(10, TimeUnit.SECONDS).duplicate());
        assertEquals(1, effects(id));
    }

    @Test
    void aConcurrentDuplicateAppliesTheMessageItselfWhenTheFirstDeliveryRollsBack() throws Exception {
        String id = messageId();
        CountDownLatch firstInside = new CountDownLatch(1);
        CompletableFuture<InboxResult<Void>> first = CompletableFuture.supplyAsync(() -> process(id, () -> {
            applyEffect(id);
            firstInside.countDown();
            Thread.sleep(holdPastTheLockTimeout().toMillis());
            throw new IllegalStateException("the first delivery fails");
        }));
        assertTrue(firstInside.await(10, TimeUnit.SECONDS));
        InboxResult<Void> second = inbox.process(consumer, id, () -> applyEffect(id));

        assertFalse(second.duplicate(), "the first delivery left no marker, so the second applies");
        assertTrue(first.handle((result, failure) -> failure).get(10, TimeUnit.SECONDS) != null);
        assertEquals(1, effects(id));
        assertEquals(1, markers(id));
    }

    @Test
    void eachConsumerKeepsItsOwnMarkers() throws Exception {
        String id = messageId();
        String other = "other-" + UUID.randomUUID();
        assertFalse(inbox.process(consumer, id, () -> null).duplicate());
        assertFalse(inbox.process(other, id, () -> null).duplicate(), "another consumer applies the same message");
        assertTrue(inbox.process(consumer, id, () -> null).duplicate());
        assertTrue(inbox.process(other, id, () -> null).duplicate());
    }

    @Test
    void aRedeliveryWithinTheRetentionIsADuplicateAndAfterThePurgeItAppliesAgain() throws Exception {
        String id = messageId();
        inbox.process(consumer, id, () -> applyEffect(id));

        clock.advance(JdbcInbox.DEFAULT_RETENTION.minusMillis(1));
        assertEquals(0, inbox.purgeExpired(clock.instant(), 1000), "a marker is never purged within its retention");
        assertTrue(inbox.process(consumer, id, () -> applyEffect(id)).duplicate());

        clock.advance(Duration.ofMillis(1));
        assertEquals(1, markers(id));
        assertTrue(inbox.process(consumer, id, () -> applyEffect(id)).duplicate(),
                "an expired marker that is still there still deduplicates");
        assertEquals(1, inbox.purgeExpired(clock.instant(), 1000));
        assertEquals(0, markers(id));

        assertFalse(inbox.process(consumer, id, () -> applyEffect(id)).duplicate(),
                "after the purge the window is over: the redelivery applies again");
        assertEquals(2, effects(id));
    }

    @Test
    void thePurgeDeletesExpiredMarkersInBoundedBatches() throws Exception {
        // Markers of other tests in this schema expire too; start from a clean slate.
        inbox.purgeExpired(Instant.parse("2200-01-01T00:00:00Z"), 100_000);
        JdbcInbox shortLived = JdbcInbox.builder().dataSource(database().dataSource()).clock(clock)
                .retention(Duration.ofHours(1)).purgeInterval(Duration.ZERO).migrate(false).build();
        for (int i = 0; i < 25; i++) {
            shortLived.process(consumer, messageId(), () -> null);
        }
        Instant expired = clock.instant().plus(Duration.ofHours(1));
        assertEquals(List.of(10, 10, 5, 0), List.of(inbox.purgeExpired(expired, 10), inbox.purgeExpired(expired, 10),
                inbox.purgeExpired(expired, 10), inbox.purgeExpired(expired, 10)));
    }

    @Test
    void theBackgroundPurgeDeletesExpiredMarkersUntilTheInboxIsClosed() throws Exception {
        String id = messageId();
        inbox.process(consumer, id, () -> null);
        clock.advance(JdbcInbox.DEFAULT_RETENTION);
        Set<Thread> before = purgeThreads();
        JdbcInbox purging = JdbcInbox.builder().dataSource(database().dataSource()).clock(clock)
                .purgeInterval(Duration.ofSeconds(1)).migrate(false).build();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (markers(id) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(before.size() + 1, purgeThreads().size(), "the inbox's purge thread");
        } finally {
            purging.close();
        }
        assertEquals(0, markers(id));
        assertEquals(before, purgeThreads(), "closing the inbox ends its purge thread");
    }

    private static Set<Thread> purgeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("idempotency-inbox-purge") && thread.isAlive())
                .collect(Collectors.toSet());
    }

    @Test
    void overlongMessageIdsAreDeduplicatedByTheirDigest() throws Exception {
        String longId = "x".repeat(300) + UUID.randomUUID();
        String sibling = longId.substring(0, longId.length() - 1) + "!";
        assertFalse(inbox.process(consumer, longId, () -> null).duplicate());
        assertTrue(inbox.process(consumer, longId, () -> null).duplicate());
        assertFalse(inbox.process(consumer, sibling, () -> null).duplicate(), "ids differing in one character differ");
    }

    @Test
    void processRefusesToRunInsideAnotherTransactionOnTheSamePool() throws Exception {
        String id = messageId();
        IllegalStateException nested = assertThrows(IllegalStateException.class,
                () -> inbox.process(consumer, id, () -> inbox.process(consumer, messageId(), () -> null)));
        assertTrue(nested.getMessage().contains("transaction of its own"), nested.getMessage());
        assertEquals(0, markers(id), "the outer work failed, so its marker rolled back");

        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(database().dataSource())
                .migrate(false).build();
                Claim claim = assertInstanceOf(ClaimResult.Acquired.class, store.claim(
                        new dev.idempotency.spi.ClaimRequest(
                                new dev.idempotency.spi.RecordKey("scope", IdempotencyKey.of(UUID.randomUUID().toString())),
                                StoreTestValues.fingerprint("x"), Instant.now(), Instant.now().plusSeconds(60))))
                        .claim()) {
            assertThrows(IllegalStateException.class, () -> claim.execute(() -> inbox.process(consumer, id, () -> null)));
        }
    }

    @Test
    void invalidArgumentsAreRefusedBeforeAnythingRuns() {
        assertThrows(IllegalArgumentException.class, () -> inbox.process("", messageId(), () -> null));
        assertThrows(IllegalArgumentException.class,
                () -> inbox.process("c".repeat(JdbcInbox.MAX_CONSUMER_LENGTH + 1), messageId(), () -> null));
        assertThrows(IllegalArgumentException.class, () -> inbox.process(consumer, "", () -> null));
        assertThrows(NullPointerException.class, () -> inbox.process(consumer, null, () -> null));
        assertThrows(NullPointerException.class, () -> inbox.process(consumer, messageId(), null));
        assertThrows(NullPointerException.class, () -> inbox.process(consumer, messageId(), null, () -> null));
        assertThrows(NullPointerException.class, () -> inbox.process(consumer, messageId(), new byte[0], null));
    }

    @Test
    void aTransactionJoiningDataSourceIsUnwrappedToItsPool() throws Exception {
        DataSource joining = dev.idempotency.jdbc.TransactionJoiningDataSource.over(database().dataSource());
        try (JdbcInbox viaJoining = JdbcInbox.builder().dataSource(joining).clock(clock).purgeInterval(Duration.ZERO)
                .migrate(false).build()) {
            String id = messageId();
            viaJoining.process(consumer, id, () -> {
                assertTrue(inbox.transactionalDataSource().isInIdempotentRequest(),
                        "the work's transaction is bound for the pool itself, where other components find it");
                return null;
            });
            assertTrue(inbox.process(consumer, id, () -> null).duplicate());
        }
    }

    private <T> InboxResult<T> process(String id, InboxWork<T> work) {
        return process(id, null, work);
    }

    /** {@link JdbcInbox#process} for use in a lambda: with the payload when it is not {@code null}. */
    private <T> InboxResult<T> process(String id, byte[] payload, InboxWork<T> work) {
        try {
            return payload == null ? inbox.process(consumer, id, work) : inbox.process(consumer, id, payload, work);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
