package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.MutableClock;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.IdempotencyException;
import dev.idempotency.webhooks.WebhookVerificationException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {

    private static final long NOW = 1_700_000_000L;
    private static final String ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    private static final byte[] BODY = "{\"type\":\"contact.created\",\"data\":{\"id\":\"1f81eb52\"}}"
            .getBytes(StandardCharsets.UTF_8);

    private final WebhookSecret current = WebhookSecret.generate();
    private final WebhookSecret previous = WebhookSecret.generate();
    private final MutableClock clock = MutableClock.atEpochSecond(NOW);

    // ---- rotation -----------------------------------------------------------------------------

    @Test
    void duringRotationTheSignerSendsOneSignaturePerSecretInOrder() {
        SignedWebhook both = signer(current, previous).sign(ID, BODY);
        String[] signatures = both.signature().split(" ");
        assertEquals(2, signatures.length, both.signature());
        assertEquals(signer(current).sign(ID, BODY).signature(), signatures[0]);
        assertEquals(signer(previous).sign(ID, BODY).signature(), signatures[1]);
    }

    @Test
    void aReceiverThatKnowsEitherSecretAcceptsTheRotatingSender() {
        SignedWebhook both = signer(current, previous).sign(ID, BODY);
        assertEquals(ID, verifier(current).verify(ID, ts(both), both.signature(), BODY).id());
        assertEquals(ID, verifier(previous).verify(ID, ts(both), both.signature(), BODY).id());
    }

    @Test
    void aReceiverWithBothSecretsAcceptsSignaturesMadeWithTheOldAndTheNew() {
        WebhookVerifier rotating = verifier(current, previous);
        SignedWebhook byNew = signer(current).sign(ID, BODY);
        SignedWebhook byOld = signer(previous).sign(ID, BODY);
        assertEquals(ID, rotating.verify(ID, ts(byNew), byNew.signature(), BODY).id());
        assertEquals(ID, rotating.verify(ID, ts(byOld), byOld.signature(), BODY).id());
    }

    @Test
    void aSignatureFromARemovedSecretIsRejected() {
        WebhookSecret removed = WebhookSecret.generate();
        SignedWebhook byRemoved = signer(removed).sign(ID, BODY);
        WebhookVerificationException e = rejected(Reason.SIGNATURE_MISMATCH,
                () -> verifier(current, previous).verify(ID, ts(byRemoved), byRemoved.signature(), BODY));
        assertTrue(e.getMessage().contains("2 secret(s)"), e.getMessage());
    }

    // ---- timestamps ---------------------------------------------------------------------------

    @Test
    void timestampsUpToFiveMinutesOffInEitherDirectionAreAccepted() {
        for (long offset : new long[] {-300, -299, -1, 0, 1, 299, 300}) {
            SignedWebhook signed = signer(current).sign(ID, Instant.ofEpochSecond(NOW + offset), BODY);
            assertEquals(Instant.ofEpochSecond(NOW + offset),
                    verifier(current).verify(ID, ts(signed), signed.signature(), BODY).timestamp(), "offset " + offset);
        }
    }

    @Test
    void aTimestampFiveMinutesAndOneSecondOldIsRejected() {
        SignedWebhook signed = signer(current).sign(ID, Instant.ofEpochSecond(NOW - 301), BODY);
        WebhookVerificationException e = rejected(Reason.TIMESTAMP_TOO_OLD,
                () -> verifier(current).verify(ID, ts(signed), signed.signature(), BODY));
        assertTrue(e.getMessage().contains("301 seconds in the past"), e.getMessage());
        assertTrue(e.getMessage().contains("tolerance of 300 seconds"), e.getMessage());
    }

    @Test
    void aTimestampFiveMinutesAndOneSecondAheadIsRejected() {
        SignedWebhook signed = signer(current).sign(ID, Instant.ofEpochSecond(NOW + 301), BODY);
        WebhookVerificationException e = rejected(Reason.TIMESTAMP_TOO_NEW,
                () -> verifier(current).verify(ID, ts(signed), signed.signature(), BODY));
        assertTrue(e.getMessage().contains("301 seconds in the future"), e.getMessage());
    }

    @Test
    void timestampsAreComparedInWholeSecondsWhateverTheFractionOfTheCurrentSecond() {
        for (long nanos : new long[] {0, 1_000_000, 400_000_000, 600_000_000, 999_999_999}) {
            clock.set(Instant.ofEpochSecond(NOW, nanos));
            String at = "clock at " + clock.instant();
            for (long offset : new long[] {-300, 300}) {
                SignedWebhook signed = signer(current).sign(ID, Instant.ofEpochSecond(NOW + offset), BODY);
                assertEquals(Instant.ofEpochSecond(NOW + offset),
                        verifier(current).verify(ID, ts(signed), signed.signature(), BODY).timestamp(),
                        "offset " + offset + ", " + at);
            }
            SignedWebhook old = signer(current).sign(ID, Instant.ofEpochSecond(NOW - 301), BODY);
            WebhookVerificationException tooOld = rejected(Reason.TIMESTAMP_TOO_OLD,
                    () -> verifier(current).verify(ID, ts(old), old.signature(), BODY));
            assertTrue(tooOld.getMessage().contains(" is 301 seconds in the past"), at + ": " + tooOld.getMessage());

            SignedWebhook ahead = signer(current).sign(ID, Instant.ofEpochSecond(NOW + 301), BODY);
            WebhookVerificationException tooNew = rejected(Reason.TIMESTAMP_TOO_NEW,
                    () -> verifier(current).verify(ID, ts(ahead), ahead.signature(), BODY));
            assertTrue(tooNew.getMessage().contains(" is 301 seconds in the future"), at + ": " + tooNew.getMessage());
        }
    }

    @Test
    void theToleranceIsConfigurable() {
        WebhookVerifier strict = WebhookVerifier.builder().secrets(current).tolerance(Duration.ofSeconds(60))
                .clock(clock).build();
        SignedWebhook inside = signer(current).sign(ID, Instant.ofEpochSecond(NOW - 60), BODY);
        SignedWebhook outside = signer(current).sign(ID, Instant.ofEpochSecond(NOW - 61), BODY);
        strict.verify(ID, ts(inside), inside.signature(), BODY);
        rejected(Reason.TIMESTAMP_TOO_OLD, () -> strict.verify(ID, ts(outside), outside.signature(), BODY));
    }

    @Test
    void theVerifierFollowsItsClock() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        WebhookVerifier verifier = verifier(current);
        verifier.verify(ID, ts(signed), signed.signature(), BODY);
        clock.advance(Duration.ofMinutes(5).plusSeconds(1));
        rejected(Reason.TIMESTAMP_TOO_OLD, () -> verifier.verify(ID, ts(signed), signed.signature(), BODY));
    }

    @Test
    void theSignatureIsCheckedBeforeTheTimestamp() {
        SignedWebhook forged = signer(WebhookSecret.generate()).sign(ID, Instant.ofEpochSecond(NOW - 3600), BODY);
        rejected(Reason.SIGNATURE_MISMATCH, () -> verifier(current).verify(ID, ts(forged), forged.signature(), BODY));
    }

    @Test
    void aToleranceUnderOneSecondIsAConfigurationError() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> WebhookVerifier.builder().tolerance(Duration.ofMillis(500)));
        assertEquals("tolerance", e.setting());
        assertThrows(IdempotencyConfigException.class, () -> WebhookVerifier.builder().tolerance(Duration.ZERO));
        assertThrows(IdempotencyConfigException.class,
                () -> WebhookVerifier.builder().tolerance(Duration.ofSeconds(-1)));
    }

    // ---- signatures ---------------------------------------------------------------------------

    @Test
    void anyMatchingV1SignatureAmongSeveralIsAcceptedAndOtherVersionsIgnored() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        String header = String.join(" ", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
                "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw==",
                signed.signature(), "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=");
        assertEquals(ID, verifier(current).verify(ID, ts(signed), header, BODY).id());
    }

    @Test
    void aSignatureOfAnotherVersionOnlyIsRejectedAsUnsupported() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        String v2 = signed.signature().replace("v1,", "v2,");
        WebhookVerificationException e = rejected(Reason.NO_SUPPORTED_SIGNATURE,
                () -> verifier(current).verify(ID, ts(signed), v2, BODY));
        assertTrue(e.getMessage().contains("1 signature(s) of other versions"), e.getMessage());
        rejected(Reason.NO_SUPPORTED_SIGNATURE,
                () -> verifier(current).verify(ID, ts(signed), "invalid_signature", BODY));
        rejected(Reason.NO_SUPPORTED_SIGNATURE, () -> verifier(current).verify(ID, ts(signed), "", BODY));
    }

    @Test
    void aV1SignatureThatIsNotBase64MatchesNothing() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        rejected(Reason.SIGNATURE_MISMATCH,
                () -> verifier(current).verify(ID, ts(signed), "v1,invalid_signature", BODY));
        rejected(Reason.SIGNATURE_MISMATCH, () -> verifier(current).verify(ID, ts(signed), "v1,", BODY));
    }

    @Test
    void aChangedBodyIdOrTimestampBreaksTheSignatureAndTheMessageDoesNotLeakTheExpectedOne() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        byte[] changed = BODY.clone();
        changed[changed.length - 2] ^= 1;
        WebhookVerificationException e = rejected(Reason.SIGNATURE_MISMATCH,
                () -> verifier(current).verify(ID, ts(signed), signed.signature(), changed));
        String expected = signer(current).sign(ID, Instant.ofEpochSecond(NOW), changed).signature();
        assertFalse(e.getMessage().contains(expected.substring(3, 20)), e.getMessage());
        assertFalse(e.getMessage().contains(signed.signature().substring(3, 20)), e.getMessage());
        assertTrue(e.getMessage().contains("byte for byte") || e.getMessage().contains("exactly as received"),
                e.getMessage());

        rejected(Reason.SIGNATURE_MISMATCH,
                () -> verifier(current).verify("msg_other", ts(signed), signed.signature(), BODY));
        rejected(Reason.SIGNATURE_MISMATCH,
                () -> verifier(current).verify(ID, Long.toString(NOW - 1), signed.signature(), BODY));
    }

    @Test
    void reformattedJsonIsADifferentBody() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        byte[] pretty = new String(BODY, StandardCharsets.UTF_8).replace(",", ", ").getBytes(StandardCharsets.UTF_8);
        rejected(Reason.SIGNATURE_MISMATCH, () -> verifier(current).verify(ID, ts(signed), signed.signature(), pretty));
    }

    @Test
    void aSignatureOfTheRightBytesUnderTheWrongKeyIsRejected() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        String truncated = "v1," + Base64.getEncoder().encodeToString(
                java.util.Arrays.copyOf(Base64.getDecoder().decode(signed.signature().substring(3)), 16));
        rejected(Reason.SIGNATURE_MISMATCH, () -> verifier(current).verify(ID, ts(signed), truncated, BODY));
    }

    // ---- headers ------------------------------------------------------------------------------

    @Test
    void eachMissingHeaderIsNamed() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        WebhookVerifier verifier = verifier(current);
        assertTrue(rejected(Reason.MISSING_HEADER, () -> verifier.verify(null, ts(signed), signed.signature(), BODY))
                .getMessage().contains("no webhook-id header"));
        assertTrue(rejected(Reason.MISSING_HEADER, () -> verifier.verify(ID, null, signed.signature(), BODY))
                .getMessage().contains("no webhook-timestamp header"));
        assertTrue(rejected(Reason.MISSING_HEADER, () -> verifier.verify(ID, ts(signed), null, BODY))
                .getMessage().contains("no webhook-signature header"));
    }

    @Test
    void malformedTimestampsAreRejected() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        for (String bad : List.of("", "abc", "-1700000000", "+1700000000", "1700000000.5", " 1700000000",
                "1700000000000", "１７００")) {
            rejected(Reason.MALFORMED_HEADER, () -> verifier(current).verify(ID, bad, signed.signature(), BODY));
        }
    }

    @Test
    void idsThatWouldMakeTheSignedContentAmbiguousAreRejected() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        WebhookVerificationException e = rejected(Reason.MALFORMED_HEADER,
                () -> verifier(current).verify("msg.1", ts(signed), signed.signature(), BODY));
        assertTrue(e.getMessage().contains("full stop"), e.getMessage());
        rejected(Reason.MALFORMED_HEADER, () -> verifier(current).verify("", ts(signed), signed.signature(), BODY));
        rejected(Reason.MALFORMED_HEADER,
                () -> verifier(current).verify("msg 1", ts(signed), signed.signature(), BODY));
        rejected(Reason.MALFORMED_HEADER,
                () -> verifier(current).verify("m".repeat(256), ts(signed), signed.signature(), BODY));
        assertThrows(IllegalArgumentException.class, () -> signer(current).sign("msg.1", BODY));
    }

    @Test
    void headersAreLookedUpIgnoringCaseAndARepeatedOneIsRejected() {
        SignedWebhook signed = signer(current).sign(ID, BODY);
        Map<String, List<String>> headers = new TreeMap<>();
        headers.put("Webhook-Id", List.of(ID));
        headers.put("WEBHOOK-TIMESTAMP", List.of(ts(signed)));
        headers.put("webhook-signature", List.of(signed.signature()));
        headers.put("Content-Type", List.of("application/json"));
        assertEquals(ID, verifier(current).verify(headers, BODY).id());

        headers.put("Webhook-Id", List.of(ID, "msg_other"));
        WebhookVerificationException e = rejected(Reason.MALFORMED_HEADER, () -> verifier(current).verify(headers, BODY));
        assertTrue(e.getMessage().contains("2 webhook-id headers"), e.getMessage());
    }

    @Test
    void rejectionsAreIdempotencyExceptionsWithoutStackTraces() {
        WebhookVerificationException e = rejected(Reason.MISSING_HEADER,
                () -> verifier(current).verify(null, null, null, BODY));
        assertTrue(e instanceof IdempotencyException);
        assertEquals(0, e.getStackTrace().length);
    }

    @Test
    void aVerifierOrSignerWithoutSecretsIsAConfigurationError() {
        assertEquals("secrets", assertThrows(IdempotencyConfigException.class,
                () -> WebhookVerifier.builder().build()).setting());
        assertEquals("secrets", assertThrows(IdempotencyConfigException.class, WebhookSigner::create).setting());
    }

    @Test
    void theSignersAndTheVerifiersBuildersTakeSecretsAlike() {
        List<WebhookSecret> withNull = new ArrayList<>(List.of(current));
        withNull.add(null);
        assertEquals("secrets contains null", assertThrows(NullPointerException.class,
                () -> WebhookSigner.builder().secrets(withNull)).getMessage());
        assertEquals("secrets contains null", assertThrows(NullPointerException.class,
                () -> WebhookVerifier.builder().secrets(withNull)).getMessage());

        // A later call replaces the secrets an earlier one gave.
        WebhookSigner signer = WebhookSigner.builder().secrets(current, previous).secrets(List.of(previous))
                .clock(clock).build();
        WebhookVerifier verifier = WebhookVerifier.builder().secrets(current, previous).secrets(List.of(current))
                .clock(clock).build();
        assertEquals(1, signer.secretCount());
        assertEquals(1, verifier.secretCount());
        SignedWebhook signed = signer.sign(ID, BODY);
        rejected(Reason.SIGNATURE_MISMATCH, () -> verifier.verify(ID, ts(signed), signed.signature(), BODY));

        assertTrue(assertThrows(IdempotencyConfigException.class, () -> WebhookSigner.builder().secrets().build())
                .getMessage().contains("a webhook signer needs at least one WebhookSecret to sign with"));
        assertTrue(assertThrows(IdempotencyConfigException.class, () -> WebhookVerifier.builder().secrets(List.of())
                .build()).getMessage().contains("a webhook verifier needs at least one WebhookSecret"));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private WebhookSigner signer(WebhookSecret... secrets) {
        return WebhookSigner.builder().secrets(secrets).clock(clock).build();
    }

    private WebhookVerifier verifier(WebhookSecret... secrets) {
        return WebhookVerifier.builder().secrets(secrets).clock(clock).build();
    }

    private static String ts(SignedWebhook signed) {
        return Long.toString(signed.timestamp());
    }

    private static WebhookVerificationException rejected(Reason reason, Runnable verification) {
        WebhookVerificationException e = assertThrows(WebhookVerificationException.class, verification::run);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }
}
