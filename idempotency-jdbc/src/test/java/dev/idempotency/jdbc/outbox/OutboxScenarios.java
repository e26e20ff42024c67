package dev.idempotency.jdbc.outbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.Header;
import dev.idempotency.IdempotencyKey;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.spi.StoreException;
import dev.idempotency.testing.MutableClock;
import dev.idempotency.testing.StoreTestValues;
import dev.idempotency.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The outbox and its relays on a real database. Time is a clock the tests move, except where said. */
abstract class OutboxScenarios {

    private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");
    private static final String DESTINATION = "https://receiver.example/hooks";
    private static final AtomicInteger PAYLOADS = new AtomicInteger();

    private final MutableClock clock = MutableClock.at(START);
    private final List<OutboxRelay> relays = new ArrayList<>();
    private JdbcOutbox outbox;

    protected abstract TestDatabase database();

    @BeforeEach
    void createOutbox() throws SQLException {
        outbox = JdbcOutbox.builder().dataSource(database().dataSource()).clock(clock).build();
        try (Connection c = database().dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM " + JdbcOutbox.TABLE);
            st.execute("CREATE TABLE IF NOT EXISTS outbox_business (name VARCHAR(100) NOT NULL)");
        }
    }

    @AfterEach
    void closeRelays() {
        relays.forEach(OutboxRelay::close);
    }

    // ---- helpers ----

    private OutboxRelay relay(OutboxPublisher publisher, OutboxRelayConfig.Builder config) {
        OutboxRelay relay = outbox.relay(publisher, config.build());
        relays.add(relay);
        return relay;
    }

    /** One publisher call at a time, on the test's thread, so the order of calls is the relay's order. */
    private static OutboxRelayConfig.Builder sequential() {
        return OutboxRelayConfig.custom().publishConcurrency(1);
    }

    private static OutboxMessage message(String key) {
        return OutboxMessage.of(DESTINATION, key, ("{\"n\":" + PAYLOADS.incrementAndGet() + "}")
                .getBytes(StandardCharsets.UTF_8), List.of(new Header("Content-Type", "application/json")));
    }

    /** Enqueues the messages in one committed transaction, in this order. */
    private List<OutboxMessage> enqueue(OutboxMessage... messages) throws Exception {
        outbox.inTransaction(() -> {
            for (OutboxMessage message : messages) {
                outbox.enqueue(message);
            }
            return null;
        });
        return List.of(messages);
    }

    /** A message's row: {@code leased} while a relay holds it (claimed, not marked yet). */
    private record Row(String state, int attempts, Instant availableAt, boolean leased, String lastError) {
    }

    /** The message's row as the table has it, or {@code null} when it is gone. */
    private Row row(String id) throws SQLException {
        try (Connection c = database().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT state, attempts, available_at, lease_token, last_error "
                        + "FROM " + JdbcOutbox.TABLE + " WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new Row(rs.getString(1), rs.getInt(2), rs.getObject(3, OffsetDateTime.class).toInstant(),
                        rs.getObject(4) != null, rs.getString(5));
            }
        }
    }

    private int businessRows(String name) throws SQLException {
        try (Connection c = database().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM outbox_business WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private void insertBusinessRow(String name) throws SQLException {
        try (Connection c = outbox.transactionalDataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO outbox_business (name) VALUES (?)")) {
            ps.setString(1, name);
            ps.executeUpdate();
        }
    }

    private static List<String> ids(List<OutboxMessage> messages) {
        return messages.stream().map(OutboxMessage::id).toList();
    }

    /** Stands for the process dying in the middle of a publisher call. */
    private static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedCrash() {
            super("the relay's process died here");
        }
    }

    // ---- enqueueing in the business transaction ----

    @Test
    void theDocumentedUsageEnqueuesInTheBusinessTransactionAndRelaysInTheBackground() throws Exception {
        DataSource pool = database().dataSource();
        byte[] json = "{\"type\":\"post.published\",\"id\":42}".getBytes(StandardCharsets.UTF_8);
        RecordingPublisher publisher = new RecordingPublisher();
        // tag::outbox-enqueue[]
        JdbcOutbox outbox = JdbcOutbox.create(pool);      // creates its table
        DataSource db = outbox.transactionalDataSource();
        outbox.inTransaction(() -> {                       // or inside an idempotent request, or inbox work
            try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO outbox_business (name) VALUES (?)")) {
                insert.setString(1, "post 42");
                insert.executeUpdate();
            }
            outbox.enqueue(OutboxMessage.of("https://hooks.example/posts", "account-7", json, List.of()));
            return null;                                   // the post and the message commit together
        });
        // end::outbox-enqueue[]
        // tag::outbox-relay[]
        OutboxRelay relay = outbox.relay(publisher, OutboxRelayConfig.custom()
                .maxAttempts(10)                           // then dead, with its last error
                .deliveredRetention(Duration.ofDays(1))    // keep delivered messages for a day
                .build());
        relay.start();                                     // on every instance; relay.close() on shutdown
        // end::outbox-relay[]
        try (relay) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (publisher.publications().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        assertEquals(1, publisher.publications().size());
        assertEquals("account-7", publisher.publications().get(0).message().key());
        assertEquals(1, businessRows("post 42"));
    }

    @Test
    void anEnqueuedMessageCommitsWithTheBusinessRow() throws Exception {
        String name = UUID.randomUUID().toString();
        OutboxMessage message = message("post-1");
        outbox.inTransaction(() -> {
            insertBusinessRow(name);
            outbox.enqueue(message);
            assertEquals(0, outbox.pendingCount(), "not visible to others before the commit");
            assertEquals(0, businessRows(name));
            return null;
        });
        assertEquals(1, businessRows(name));
        assertEquals("PENDING", row(message.id()).state());
        assertEquals(1, outbox.pendingCount());
    }

    @Test
    void rollingBackTheBusinessTransactionRemovesItsMessage() throws Exception {
        String name = UUID.randomUUID().toString();
        OutboxMessage viaInTransaction = message("post-1");
        assertThrows(IllegalStateException.class, () -> outbox.inTransaction(() -> {
            insertBusinessRow(name);
            outbox.enqueue(viaInTransaction);
            throw new IllegalStateException("the business change fails after the enqueue");
        }));
        assertNull(row(viaInTransaction.id()));
        assertEquals(0, businessRows(name));

        OutboxMessage rolledBack = message("post-2");
        OutboxMessage committed = message("post-3");
        try (Connection c = database().dataSource().getConnection()) {
            c.setAutoCommit(false);
            outbox.enqueue(c, rolledBack);
            c.rollback();
            outbox.enqueue(c, committed);
            c.commit();
            c.setAutoCommit(true);
        }
        assertNull(row(rolledBack.id()));
        assertNotNull(row(committed.id()));
    }

    @Test
    void enqueueJoinsAnIdempotentRequestAndAnInboxWorkOnTheSamePool() throws Exception {
        OutboxMessage completed = message("a");
        OutboxMessage abandoned = message("a");
        try (JdbcIdempotencyStore store = JdbcIdempotencyStore.builder().dataSource(database().dataSource())
                .migrate(false).build()) {
            try (Claim claim = claim(store)) {
                claim.execute(() -> {
                    outbox.enqueue(completed);
                    return null;
                });
                claim.complete(StoreTestValues.response(201, "created"), Instant.now().plus(Duration.ofHours(1)));
            }
            try (Claim claim = claim(store)) {
                claim.execute(() -> {
                    outbox.enqueue(abandoned);
                    return null;
                });
                claim.abandon();
            }
        }
        assertNotNull(row(completed.id()), "committed with the idempotent request's outcome");
        assertNull(row(abandoned.id()), "rolled back with the abandoned request");

        OutboxMessage applied = message("b");
        OutboxMessage failed = message("b");
        try (JdbcInbox inbox = JdbcInbox.builder().dataSource(database().dataSource()).clock(clock)
                .purgeInterval(Duration.ZERO).migrate(false).build()) {
            inbox.process("orders", UUID.randomUUID().toString(), () -> {
                outbox.enqueue(applied);
                return null;
            });
            assertThrows(IOException.class, () -> inbox.process("orders", UUID.randomUUID().toString(), () -> {
                outbox.enqueue(failed);
                throw new IOException("the consumer's work fails");
            }));
        }
        assertNotNull(row(applied.id()), "committed with the inbox marker");
        assertNull(row(failed.id()), "rolled back with the failed work");
    }

    private Claim claim(JdbcIdempotencyStore store) {
        Instant now = Instant.now();
        ClaimRequest request = new ClaimRequest(new RecordKey("outbox-test", IdempotencyKey.of(UUID.randomUUID().toString())),
                StoreTestValues.fingerprint("x"), now, now.plusSeconds(60));
        return assertInstanceOf(ClaimResult.Acquired.class, store.claim(request)).claim();
    }

    @Test
    void innerInTransactionJoinsTheEnclosingOne() throws Exception {
        OutboxMessage inner = message(null);
        assertThrows(IllegalStateException.class, () -> outbox.inTransaction(() -> {
            outbox.inTransaction(() -> {
                outbox.enqueue(inner);
                return null;
            });
            throw new IllegalStateException("the outer transaction fails");
        }));
        assertNull(row(inner.id()), "the inner block did not commit on its own");
    }

    @Test
    void enqueueOutsideATransactionIsRefusedWithTheWayOut() throws Exception {
        OutboxMessage message = message(null);
        IllegalStateException unbound = assertThrows(IllegalStateException.class, () -> outbox.enqueue(message));
        assertTrue(unbound.getMessage().contains("enqueue(connection, message)"), unbound.getMessage());
        try (Connection c = database().dataSource().getConnection()) {
            IllegalStateException autoCommit = assertThrows(IllegalStateException.class, () -> outbox.enqueue(c, message));
            assertTrue(autoCommit.getMessage().contains("auto-commit"), autoCommit.getMessage());
        }
        assertNull(row(message.id()));
    }

    @Test
    void aMessageIdCanBeEnqueuedOnlyOnce() throws Exception {
        OutboxMessage message = message(null);
        enqueue(message);
        StoreException taken = assertThrows(StoreException.class, () -> enqueue(message));
        assertTrue(taken.getMessage().contains("is taken"), taken.getMessage());
    }

    // ---- relaying ----

    @Test
    void thePublisherGetsTheMessageAsEnqueuedAndADeliveredMessageIsDeleted() throws Exception {
        OutboxMessage message = new OutboxMessage("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", DESTINATION, "account-42",
                new byte[] {0, 1, 2, (byte) 0xff}, List.of(new Header("X-Trace", "a"), new Header("x-trace", "b"),
                        new Header("Content-Type", "application/octet-stream")), START.minusSeconds(3));
        enqueue(message);
        RecordingPublisher publisher = new RecordingPublisher();

        assertEquals(1, relay(publisher, sequential()).runOnce());

        RecordingPublisher.Publication publication = publisher.publications().get(0);
        assertEquals(message, publication.message(), "id, destination, key, payload, headers and creation time");
        assertEquals(1, publication.attempt());
        assertNull(row(message.id()), "delivered messages are deleted by default");
        assertEquals(0, relay(publisher, sequential()).runOnce());
    }

    @Test
    void severalRelaysDeliverEachMessageExactlyOnceAndEachKeyInOrder() throws Exception {
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            messages.add(message(i % 4 == 3 ? null : "key-" + (i % 20)));
        }
        for (int from = 0; from < messages.size(); from += 100) {
            enqueue(messages.subList(from, from + 100).toArray(new OutboxMessage[0]));
        }
        RecordingPublisher publisher = new RecordingPublisher();
        int relayCount = 4;
        ExecutorService threads = Executors.newFixedThreadPool(relayCount);
        try {
            List<Future<Integer>> published = new ArrayList<>();
            for (int r = 0; r < relayCount; r++) {
                OutboxRelay relay = relay(publisher, OutboxRelayConfig.custom().batchSize(25).publishConcurrency(4));
                published.add(threads.submit(() -> {
                    int total = 0;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (outbox.pendingCount() > 0 && System.nanoTime() < deadline) {
                        int batch = relay.runOnce();
                        if (batch == 0) {
                            Thread.sleep(5); // the rest is in flight with the other relays, or held back by it
                        }
                        total += batch;
                    }
                    return total;
                }));
            }
            int total = 0;
            for (Future<Integer> future : published) {
                total += future.get(90, TimeUnit.SECONDS);
            }
            assertEquals(messages.size(), total);
        } finally {
            threads.shutdownNow();
        }

        Map<String, Long> counts = publisher.countsById();
        assertEquals(Set.copyOf(ids(messages)), counts.keySet());
        assertEquals(Set.of(1L), Set.copyOf(counts.values()), "each message was published exactly once");
        Map<String, RecordingPublisher.Publication> byId = publisher.publications().stream()
                .collect(Collectors.toMap(p -> p.message().id(), p -> p));
        Map<String, List<OutboxMessage>> byKey = messages.stream().filter(m -> m.key() != null)
                .collect(Collectors.groupingBy(OutboxMessage::key));
        byKey.forEach((key, ofKey) -> {
            for (int i = 1; i < ofKey.size(); i++) {
                RecordingPublisher.Publication before = byId.get(ofKey.get(i - 1).id());
                RecordingPublisher.Publication after = byId.get(ofKey.get(i).id());
                assertTrue(after.started() > before.ended(), "message " + i + " of " + key
                        + " was published only after the one before it was delivered");
            }
        });
    }

    @Test
    void aCrashBetweenPublishingAndMarkingPublishesTheMessageAgainWithTheSameId() throws Exception {
        OutboxMessage message = enqueue(message("order-7")).get(0);
        RecordingPublisher crashing = new RecordingPublisher((m, attempt) -> {
            throw new SimulatedCrash();
        });
        OutboxRelay dying = relay(crashing, OutboxRelayConfig.custom());

        assertThrows(SimulatedCrash.class, dying::runOnce, "the relay dies after the publisher was called");
        assertEquals(List.of(message.id()), crashing.ids());
        Row afterCrash = row(message.id());
        assertEquals(new Row("PENDING", 1, START.plus(OutboxRelayConfig.DEFAULT_LEASE_DURATION), true, null), afterCrash,
                "nothing was marked: the message is leased, due again when the lease ends");

        RecordingPublisher healthy = new RecordingPublisher();
        OutboxRelay survivor = relay(healthy, sequential());
        clock.advance(OutboxRelayConfig.DEFAULT_LEASE_DURATION.minusMillis(1));
        assertEquals(0, survivor.runOnce(), "no other relay takes the message while its lease runs");
        clock.advance(Duration.ofMillis(1));
        assertEquals(1, survivor.runOnce());

        RecordingPublisher.Publication again = healthy.publications().get(0);
        assertEquals(message, again.message(), "the same message, with the same id, is published again");
        assertEquals(2, again.attempt());
        assertNull(row(message.id()));
    }

    @Test
    void aFailedMarkAfterPublishingPublishesTheMessageAgainWithTheSameId() throws Exception {
        OutboxMessage message = enqueue(message(null)).get(0);
        DataSource ownPool = database().newDataSource(2);
        JdbcOutbox onOwnPool = JdbcOutbox.builder().dataSource(ownPool).clock(clock).migrate(false).build();
        RecordingPublisher losesItsDatabase = new RecordingPublisher((m, attempt) -> {
            ((AutoCloseable) ownPool).close(); // the database goes away between the publication and the mark
            return PublishResult.delivered();
        });
        try (OutboxRelay relay = onOwnPool.relay(losesItsDatabase, sequential().build())) {
            assertThrows(StoreException.class, relay::runOnce);
        }
        assertEquals(1, losesItsDatabase.publications().size());
        assertEquals("PENDING", row(message.id()).state(), "the delivery could not be marked");

        clock.advance(OutboxRelayConfig.DEFAULT_LEASE_DURATION);
        RecordingPublisher healthy = new RecordingPublisher();
        assertEquals(1, relay(healthy, sequential()).runOnce());
        assertEquals(message, healthy.publications().get(0).message());
        assertEquals(2, healthy.publications().get(0).attempt());
        assertNull(row(message.id()));
    }

    @Test
    void attemptsThatNeverGotAnOutcomeCountAndEndInDeath() throws Exception {
        OutboxMessage poison = enqueue(message(null)).get(0);
        RecordingPublisher crashing = new RecordingPublisher((m, attempt) -> {
            throw new SimulatedCrash();
        });
        OutboxRelay relay = relay(crashing, sequential().maxAttempts(2).leaseDuration(Duration.ofSeconds(10)));
        assertThrows(SimulatedCrash.class, relay::runOnce);
        clock.advance(Duration.ofSeconds(10));
        assertThrows(SimulatedCrash.class, relay::runOnce);
        clock.advance(Duration.ofSeconds(10));

        assertEquals(0, relay.runOnce(), "the third claim does not call the publisher");
        assertEquals(2, crashing.publications().size());
        DeadLetter dead = outbox.deadLetters(10).get(0);
        assertEquals(poison, dead.message());
        assertTrue(dead.lastError().startsWith("No outcome after 2 attempts"), dead.lastError());
    }

    @Test
    void aMarkOfARelayWhoseLeaseWasTakenOverChangesNothing() throws Exception {
        OutboxMessage message = enqueue(message(null)).get(0);
        RecordingPublisher prompt = new RecordingPublisher();
        OutboxRelay other = relay(prompt, sequential().leaseDuration(Duration.ofSeconds(10))
                .deliveredRetention(Duration.ofHours(1)));
        RecordingPublisher slow = new RecordingPublisher((m, attempt) -> {
            clock.advance(Duration.ofSeconds(10)); // the call outlives the lease...
            assertEquals(1, other.runOnce(), "...so another relay takes the message over and delivers it");
            return PublishResult.retry("timed out");
        });
        relay(slow, sequential().leaseDuration(Duration.ofSeconds(10)).deliveredRetention(Duration.ofHours(1))).runOnce();

        assertEquals(1, slow.publications().get(0).attempt());
        assertEquals(2, prompt.publications().get(0).attempt());
        assertEquals("DELIVERED", row(message.id()).state(), "the late retry mark did not undo the delivery");
    }

    @Test
    void noPublicationStartsAfterTheLeaseEnded() throws Exception {
        List<OutboxMessage> run = enqueue(message("k"), message("k"), message("k"));
        RecordingPublisher slow = new RecordingPublisher((m, attempt) -> {
            clock.advance(Duration.ofSeconds(10));
            return PublishResult.delivered();
        });
        OutboxRelay relay = relay(slow, sequential().leaseDuration(Duration.ofSeconds(10)));

        assertEquals(1, relay.runOnce(), "the first call used up the lease; the rest of the run is given back");
        assertNull(row(run.get(0).id()));
        assertEquals(new Row("PENDING", 0, START.plusSeconds(10), false, null), row(run.get(1).id()),
                "given back, due at once, with no attempt counted");

        assertEquals(1, relay.runOnce());
        assertEquals(1, relay.runOnce());
        assertEquals(ids(run), slow.ids());
        assertEquals(List.of(1, 1, 1), slow.publications().stream().map(RecordingPublisher.Publication::attempt).toList());
    }

    // ---- retries, backoff, dead letters ----

    @Test
    void retriesBackOffExponentiallyWithJitterAndTheLastAttemptEndsInDeath() throws Exception {
        OutboxMessage message = enqueue(message(null)).get(0);
        RecordingPublisher failing = new RecordingPublisher((m, attempt) -> PublishResult.retry("HTTP 503"));
        OutboxRelay relay = relay(failing, sequential().maxAttempts(5).initialBackoff(Duration.ofSeconds(10))
                .maxBackoff(Duration.ofHours(1)));

        for (int attempt = 1; attempt <= 4; attempt++) {
            assertEquals(1, relay.runOnce());
            Row row = row(message.id());
            assertEquals(new Row("PENDING", attempt, row.availableAt(), false, "HTTP 503"), row);
            Duration ceiling = Duration.ofSeconds(10L << (attempt - 1));
            Duration delay = Duration.between(clock.instant(), row.availableAt());
            assertTrue(delay.compareTo(ceiling.dividedBy(2)) >= 0 && delay.compareTo(ceiling) <= 0,
                    "after attempt " + attempt + ": " + delay + " is within [" + ceiling.dividedBy(2) + ", " + ceiling + "]");
            clock.set(row.availableAt().minusMillis(1));
            assertEquals(0, relay.runOnce(), "not due yet");
            clock.set(row.availableAt());
        }
        assertEquals(1, relay.runOnce());
        assertEquals("DEAD", row(message.id()).state());
        assertEquals(List.of(1, 2, 3, 4, 5),
                failing.publications().stream().map(RecordingPublisher.Publication::attempt).toList());
    }

    @Test
    void jitterSpreadsTheRetriesOfMessagesThatFailedTogether() throws Exception {
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            messages.add(message(null));
        }
        enqueue(messages.toArray(new OutboxMessage[0]));
        relay(new RecordingPublisher((m, attempt) -> PublishResult.retry("HTTP 503")),
                OutboxRelayConfig.custom().initialBackoff(Duration.ofMinutes(1))).runOnce();
        Set<Instant> due = new HashSet<>();
        for (OutboxMessage message : messages) {
            due.add(row(message.id()).availableAt());
        }
        assertTrue(due.size() > 10, "20 messages that failed together are due at " + due.size() + " different times");
    }

    @Test
    void aRequestedWaitIsHonouredWhenLongerThanTheBackoffAndCappedAtTheMaximum() throws Exception {
        OutboxMessage message = enqueue(message(null)).get(0);
        RecordingPublisher publisher = new RecordingPublisher((m, attempt) -> switch (attempt) {
            case 1 -> PublishResult.retryAfter(Duration.ofMillis(1), "HTTP 503, Retry-After: 0");
            case 2 -> PublishResult.retryAfter(Duration.ofMinutes(2), "HTTP 429, Retry-After: 120");
            case 3 -> PublishResult.retryAfter(Duration.ofHours(10), "HTTP 503, Retry-After: 36000");
            default -> PublishResult.delivered();
        });
        OutboxRelay relay = relay(publisher, sequential().initialBackoff(Duration.ofSeconds(10))
                .maxBackoff(Duration.ofHours(1)));

        relay.runOnce();
        Duration first = Duration.between(clock.instant(), row(message.id()).availableAt());
        assertTrue(first.compareTo(Duration.ofSeconds(5)) >= 0 && first.compareTo(Duration.ofSeconds(10)) <= 0,
                "a shorter requested wait does not shorten the backoff: " + first);

        clock.set(row(message.id()).availableAt());
        relay.runOnce();
        assertEquals(clock.instant().plus(Duration.ofMinutes(2)), row(message.id()).availableAt(),
                "a longer requested wait is honoured to the millisecond");
        clock.advance(Duration.ofMinutes(2).minusMillis(1));
        assertEquals(0, relay.runOnce());
        clock.advance(Duration.ofMillis(1));

        relay.runOnce();
        assertEquals(clock.instant().plus(Duration.ofHours(1)), row(message.id()).availableAt(),
                "a requested wait is capped at the maximum backoff");
        clock.advance(Duration.ofHours(1));
        assertEquals(1, relay.runOnce());
        assertNull(row(message.id()));
    }

    @Test
    void aMessageIsDeadAfterItsLastAttemptWithItsLastErrorAndCanBeRequeued() throws Exception {
        OutboxMessage message = enqueue(message(null)).get(0);
        RecordingPublisher publisher = new RecordingPublisher((m, attempt) -> PublishResult.retry("boom " + attempt));
        OutboxRelay relay = relay(publisher, sequential().maxAttempts(3).initialBackoff(Duration.ofSeconds(1))
                .maxBackoff(Duration.ofSeconds(1)));
        for (int attempt = 1; attempt <= 3; attempt++) {
            assertEquals(1, relay.runOnce());
            clock.advance(Duration.ofSeconds(1));
        }
        Instant thirdAttempt = clock.instant().minusSeconds(1);

        assertEquals("DEAD", row(message.id()).state());
        assertEquals(List.of(message), deadMessages(10));
        assertEquals(List.of(new DeadLetter(message, 3, "boom 3", thirdAttempt)), outbox.deadLetters(10));
        assertEquals(0, relay.runOnce(), "dead messages are not relayed");

        assertFalse(outbox.requeue("no-such-message"));
        assertTrue(outbox.requeue(message.id()));
        assertFalse(outbox.requeue(message.id()), "it is no longer dead");
        publisher.answer(m -> PublishResult.delivered());
        assertEquals(1, relay.runOnce());
        assertEquals(1, publisher.publications().get(3).attempt(), "a re-queued message counts its attempts afresh");
        assertEquals(List.of(), deadMessages(10));
        assertNull(row(message.id()));
    }

    @Test
    void aRejectedMessageIsDeadAtOnceAndAllDeadMessagesCanBeRequeued() throws Exception {
        List<OutboxMessage> messages = enqueue(message(null), message(null), message(null));
        RecordingPublisher publisher = new RecordingPublisher((m, attempt) -> PublishResult.rejected("HTTP 410 Gone"));
        OutboxRelay relay = relay(publisher, sequential());

        assertEquals(3, relay.runOnce());
        for (OutboxMessage message : messages) {
            Row row = row(message.id());
            assertEquals(List.of("DEAD", 1, false, "HTTP 410 Gone"),
                    List.of(row.state(), row.attempts(), row.leased(), row.lastError()));
        }
        assertEquals(messages, deadMessages(10), "oldest first");
        assertEquals(messages.subList(0, 2), deadMessages(2));

        assertEquals(3, outbox.requeueAllDead());
        publisher.answer(m -> PublishResult.delivered());
        assertEquals(3, relay.runOnce());
        assertEquals(0, outbox.pendingCount());
        assertEquals(List.of(), deadMessages(10));
    }

    @Test
    void anExceptionFromThePublisherIsARetryWithItsMessage() throws Exception {
        OutboxMessage message = enqueue(message(null)).get(0);
        relay(new RecordingPublisher((m, attempt) -> {
            throw new IOException("Connection refused");
        }), sequential()).runOnce();
        Row row = row(message.id());
        assertEquals("PENDING", row.state());
        assertEquals(1, row.attempts());
        assertEquals("java.io.IOException: Connection refused", row.lastError());
    }

    // ---- ordering per key ----

    @Test
    void aFailingMessageHoldsBackOnlyTheLaterMessagesOfItsKey() throws Exception {
        OutboxMessage a1 = message("a");
        OutboxMessage b1 = message("b");
        OutboxMessage a2 = message("a");
        OutboxMessage unkeyed = message(null);
        OutboxMessage b2 = message("b");
        enqueue(a1, b1, a2, unkeyed, b2);
        RecordingPublisher publisher = new RecordingPublisher(
                (m, attempt) -> m.equals(a1) ? PublishResult.retry("a's receiver is down") : PublishResult.delivered());
        OutboxRelay relay = relay(publisher, sequential().initialBackoff(Duration.ofSeconds(1)));

        assertEquals(4, relay.runOnce());
        assertEquals(ids(List.of(a1, b1, b2, unkeyed)), publisher.ids());
        assertEquals(new Row("PENDING", 0, START, false, null), row(a2.id()), "a2 waits for a1, uncounted");

        clock.set(row(a1.id()).availableAt());
        publisher.answer(m -> PublishResult.delivered());
        assertEquals(2, relay.runOnce());
        assertEquals(ids(List.of(a1, a2)), publisher.ids().subList(4, 6));
    }

    @Test
    void aDeadMessageHoldsBackItsKeyUntilItIsRequeuedOrDiscarded() throws Exception {
        OutboxMessage a1 = message("a");
        OutboxMessage a2 = message("a");
        OutboxMessage d1 = message("d");
        OutboxMessage d2 = message("d");
        enqueue(a1, a2, d1, d2);
        RecordingPublisher publisher = new RecordingPublisher(
                (m, attempt) -> m.equals(a1) || m.equals(d1) ? PublishResult.rejected("HTTP 400")
                        : PublishResult.delivered());
        OutboxRelay relay = relay(publisher, sequential());

        assertEquals(2, relay.runOnce());
        clock.advance(Duration.ofDays(1));
        assertEquals(0, relay.runOnce(), "a2 and d2 stay behind their dead predecessors");
        assertEquals(0, row(a2.id()).attempts());

        publisher.answer(m -> PublishResult.delivered());
        assertTrue(outbox.requeue(a1.id()));
        assertTrue(outbox.discard(d1.id()));
        assertFalse(outbox.discard(d1.id()));
        assertEquals(3, relay.runOnce());
        assertEquals(ids(List.of(a1, d1, a1, a2, d2)), publisher.ids());
        assertEquals(0, outbox.pendingCount());
    }

    @Test
    void withoutOrderingAFailingMessageHoldsNothingBack() throws Exception {
        OutboxMessage a1 = message("a");
        OutboxMessage a2 = message("a");
        enqueue(a1, a2);
        RecordingPublisher publisher = new RecordingPublisher(
                (m, attempt) -> m.equals(a1) ? PublishResult.retry("down") : PublishResult.delivered());
        assertEquals(2, relay(publisher, sequential().orderedPerKey(false)).runOnce());
        assertNull(row(a2.id()));
        assertEquals("PENDING", row(a1.id()).state());
    }

    @Test
    void aKeysBacklogIsPublishedInOrderInBatchesOfTheBatchSize() throws Exception {
        List<OutboxMessage> backlog = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            backlog.add(message("hot-key"));
        }
        enqueue(backlog.toArray(new OutboxMessage[0]));
        RecordingPublisher publisher = new RecordingPublisher();
        OutboxRelay relay = relay(publisher, OutboxRelayConfig.custom().batchSize(4));

        assertEquals(List.of(4, 4, 2, 0), List.of(relay.runOnce(), relay.runOnce(), relay.runOnce(), relay.runOnce()));
        assertEquals(ids(backlog), publisher.ids());
    }

    @Test
    void aKeyBlockedBehindMoreThanAWindowOfMessagesDoesNotHoldBackTheKeysAfterIt() throws Exception {
        OutboxMessage stuck = message("stuck");
        OutboxMessage late1 = message("late");
        List<OutboxMessage> messages = new ArrayList<>(List.of(stuck, late1));
        for (int i = 0; i < 1100; i++) {
            messages.add(message("stuck"));
        }
        OutboxMessage late2 = message("late");
        OutboxMessage free = message("free");
        OutboxMessage unkeyed = message(null);
        messages.addAll(List.of(late2, free, unkeyed));
        for (int from = 0; from < messages.size(); from += 500) {
            enqueue(messages.subList(from, Math.min(messages.size(), from + 500)).toArray(new OutboxMessage[0]));
        }
        RecordingPublisher publisher = new RecordingPublisher((m, attempt) -> m.equals(stuck) || m.equals(late1)
                ? PublishResult.retry("down") : PublishResult.delivered());
        OutboxRelay relay = relay(publisher, sequential().batchSize(10).initialBackoff(Duration.ofHours(1)));

        assertEquals(2, relay.runOnce(), "stuck's and late's first messages fail");
        assertEquals(2, relay.runOnce(), "the oldest 1000 unfinished messages are all blocked; the claim looks further");
        assertEquals(ids(List.of(stuck, late1, free, unkeyed)), publisher.ids());
        assertEquals(new Row("PENDING", 0, START, false, null), row(late2.id()),
                "late's second message still waits for its first, which is further back");
    }

    // ---- retention of delivered messages, background relaying ----

    @Test
    void deliveredMessagesAreKeptForTheRetentionThenPurgedInBatches() throws Exception {
        List<OutboxMessage> messages = enqueue(message(null), message(null), message(null), message(null), message(null));
        OutboxRelay relay = relay(new RecordingPublisher(), sequential().deliveredRetention(Duration.ofHours(1)));
        assertEquals(5, relay.runOnce());
        for (OutboxMessage message : messages) {
            assertEquals("DELIVERED", row(message.id()).state());
        }
        assertEquals(0, outbox.purgeDelivered(clock.instant().minus(Duration.ofHours(1)), 100));
        clock.advance(Duration.ofHours(1));
        Instant cutoff = clock.instant().minus(Duration.ofHours(1));
        assertEquals(List.of(2, 2, 1, 0), List.of(outbox.purgeDelivered(cutoff, 2), outbox.purgeDelivered(cutoff, 2),
                outbox.purgeDelivered(cutoff, 2), outbox.purgeDelivered(cutoff, 2)));
        assertNull(row(messages.get(4).id()));
    }

    @Test
    void aStartedRelayDeletesDeliveredMessagesOnceTheyAreOlderThanTheRetention() throws Exception {
        List<OutboxMessage> messages = enqueue(message(null), message(null), message(null));
        OutboxRelayConfig.Builder config = sequential().deliveredRetention(Duration.ofHours(1))
                .pollInterval(Duration.ofMillis(20));
        assertEquals(3, relay(new RecordingPublisher(), config).runOnce());
        clock.advance(Duration.ofHours(1));
        relay(new RecordingPublisher(), config).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (row(messages.get(2).id()) != null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        for (OutboxMessage message : messages) {
            assertNull(row(message.id()));
        }
    }

    @Test
    void aStartedRelayPublishesInTheBackgroundUntilItIsClosed() throws Exception {
        Set<Thread> threadsBefore = relayThreads();
        RecordingPublisher publisher = new RecordingPublisher();
        OutboxRelay relay = relay(publisher, OutboxRelayConfig.custom().batchSize(10).pollInterval(Duration.ofMillis(20)));
        assertTrue(relay == relay.start());
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            messages.add(message(i % 2 == 0 ? "even" : null));
        }
        enqueue(messages.toArray(new OutboxMessage[0]));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (publisher.publications().size() < messages.size() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Set<String> running = relayThreads().stream().filter(thread -> !threadsBefore.contains(thread))
                .map(Thread::getName).collect(Collectors.toSet());
        assertTrue(running.stream().filter(name -> name.startsWith("idempotency-outbox-relay-")).count()
                == OutboxRelay.BATCHES_IN_FLIGHT, "the relay's own threads: " + running);
        relay.close();
        assertEquals(Set.copyOf(ids(messages)), Set.copyOf(publisher.ids()));
        assertEquals(threadsBefore, relayThreads(), "closing the relay ends its threads");

        OutboxMessage late = enqueue(message(null)).get(0);
        Thread.sleep(200);
        assertEquals(messages.size(), publisher.publications().size(), "a closed relay publishes nothing");
        assertEquals("PENDING", row(late.id()).state());
        assertThrows(IllegalStateException.class, relay::runOnce);
        assertThrows(IllegalStateException.class, relay::start);
    }

    /** The messages of the oldest {@code limit} dead letters. */
    private List<OutboxMessage> deadMessages(int limit) {
        return outbox.deadLetters(limit).stream().map(DeadLetter::message).toList();
    }

    /** The relays' and their publishers' threads alive now. */
    private static Set<Thread> relayThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("idempotency-outbox-") && thread.isAlive())
                .collect(Collectors.toSet());
    }
}
