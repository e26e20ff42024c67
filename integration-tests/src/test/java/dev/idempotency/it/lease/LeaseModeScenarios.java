package dev.idempotency.it.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfig;
import dev.idempotency.IdempotencyKey;
import dev.idempotency.RequestFingerprint;
import dev.idempotency.StoredResponse;
import dev.idempotency.spi.Claim;
import dev.idempotency.spi.ClaimRequest;
import dev.idempotency.spi.ClaimResult;
import dev.idempotency.spi.LeaseLostException;
import dev.idempotency.spi.RecordKey;
import dev.idempotency.testing.MutableClock;
import dev.idempotency.testing.TestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Lease mode over HTTP, with the JDBC store on a real database and a downstream that deduplicates. */
abstract class LeaseModeScenarios {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private PaymentsApp app;

    protected abstract TestDatabase database();

    private PaymentsApp start(Duration lease) throws Exception {
        app = new PaymentsApp(database().dataSource(), IdempotencyConfig.custom().leasePaths("/payments")
                .leaseDuration(lease).purgeInterval(Duration.ZERO).build());
        return app;
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
    }

    private HttpResponse<String> pay(String key, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(app.uri("/payments")).header("Idempotency-Key", key)
                .header("X-Client", "c1").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void leaseModeReplaysTheOutcomeAndChargesOnce() throws Exception {
        start(Duration.ofSeconds(30));
        String key = UUID.randomUUID().toString();
        HttpResponse<String> first = pay(key, "amount=10");
        HttpResponse<String> retry = pay(key, "amount=10");
        assertEquals(201, first.statusCode(), first.body());
        assertTrue(first.body().contains("\"mode\":\"LEASE\""), first.body());
        assertEquals(first.body(), retry.body());
        assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(1, app.handlerRuns.get());
        assertEquals(1, app.provider.charges());
    }

    @Test
    void duplicateDuringTheLeaseGets409WithTheLeaseAsRetryAfter() throws Exception {
        start(Duration.ofSeconds(20));
        String key = UUID.randomUUID().toString();
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> {
            try {
                return pay(key, "amount=10", "X-Test-Hold", "true");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(app.holding.await(30, TimeUnit.SECONDS), "the first request reached its handler");
        HttpResponse<String> duplicate = pay(key, "amount=10");
        assertEquals(409, duplicate.statusCode(), duplicate.body());
        long retryAfter = Long.parseLong(duplicate.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 20, "Retry-After from the lease: " + retryAfter);
        HttpResponse<String> reused = pay(key, "amount=99");
        assertEquals(422, reused.statusCode(), "another request under a leased key: " + reused.body());
        app.release.countDown();
        assertEquals(201, held.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(1, app.provider.charges());
    }

    /**
     * A retry that arrives once the key's time to live has passed on the application's clock, while the first
     * request still runs and renews its lease, is busy (409): a live lease is never taken over. The first
     * stores its outcome, the handler ran once, and the retry after it gets the replay.
     */
    @Test
    void retryPastTheKeysTimeToLiveWhileTheLeaseIsLiveGets409AndTheHandlerRunsOnce() throws Exception {
        MutableClock clock = MutableClock.at(Instant.now());
        app = new PaymentsApp(database().dataSource(), IdempotencyConfig.custom().leasePaths("/payments")
                .leaseDuration(Duration.ofSeconds(30)).keyTtl(Duration.ofSeconds(30)).clock(clock)
                .purgeInterval(Duration.ZERO).build());
        String key = UUID.randomUUID().toString();
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return pay(key, "amount=10", "X-Test-Hold", "true");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(app.holding.await(30, TimeUnit.SECONDS), "the first request reached its handler");
        clock.advance(Duration.ofMinutes(1));

        HttpResponse<String> retry = pay(key, "amount=10");
        assertEquals(409, retry.statusCode(), "a retry while the first still holds its lease: " + retry.body());
        app.release.countDown();
        HttpResponse<String> answered = first.get(30, TimeUnit.SECONDS);
        assertEquals(201, answered.statusCode(), "the first request keeps its key and stores its outcome: "
                + answered.body());
        HttpResponse<String> replay = pay(key, "amount=10");
        assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(null), replay.body());
        assertEquals(answered.body(), replay.body());
        assertEquals(1, app.handlerRuns.get(), "handler runs for one key");
    }

    /**
     * A request that died after charging (its lease committed, its outcome never stored) is taken over by
     * the retry once the lease runs out on the database's clock; the retry charges again with the same
     * derived key, so the provider still holds one charge.
     */
    @Test
    void retryAfterACrashedHolderTakesOverAndTheDerivedKeyKeepsOneCharge() throws Exception {
        start(Duration.ofSeconds(1));
        String key = UUID.randomUUID().toString();
        String body = "amount=10";
        RecordKey recordKey = new RecordKey("client:c1", IdempotencyKey.of(key));
        RequestFingerprint fingerprint = RequestFingerprint.of("POST", "/payments", null, "text/plain",
                body.getBytes(StandardCharsets.UTF_8));
        Instant now = Instant.now();
        Claim crashed = assertInstanceOf(ClaimResult.Acquired.class, app.store.claim(ClaimRequest.lease(recordKey,
                fingerprint, now, now.plus(Duration.ofHours(24)), Duration.ofSeconds(1)))).claim();
        // What the crashed request did before dying: it charged with the derived key.
        String derived = new DerivedKeys(recordKey).charge();
        app.provider.charge(derived, body.length());

        HttpResponse<String> whileLeased = pay(key, body);
        assertEquals(409, whileLeased.statusCode(), whileLeased.body());

        Thread.sleep(1300);
        HttpResponse<String> retry = pay(key, body);
        assertEquals(201, retry.statusCode(), retry.body());
        Matcher token = Pattern.compile("\"token\":(\\d+)").matcher(retry.body());
        assertTrue(token.find(), retry.body());
        assertTrue(Long.parseLong(token.group(1)) > crashed.fencingToken(),
                "the takeover carries a fencing token above the crashed holder's " + crashed.fencingToken() + ": "
                + retry.body());
        assertEquals(1, app.provider.charges(), "the retry charged again with the same derived key: one charge");
        assertEquals(2, app.provider.calls());
        assertThrows(LeaseLostException.class, () -> crashed.complete(StoredResponse.of(201, List.of(), new byte[0]),
                Instant.now().plus(Duration.ofHours(1))),
                "the crashed holder, come back, cannot overwrite the outcome");
        assertEquals("true", pay(key, body).headers().firstValue("Idempotent-Replayed").orElse(null));
    }
}
