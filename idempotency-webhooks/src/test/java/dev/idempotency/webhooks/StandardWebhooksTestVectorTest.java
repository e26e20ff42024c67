package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idempotency.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The Standard Webhooks specification's published test vector: secret
 * {@code whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}, id {@code msg_p5jXN8AQM9LWM0D4loKWxJek}, timestamp
 * {@code 1614265330}, payload <code>{"test": 2432232314}</code>, signature
 * {@code v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=}.
 *
 * <p>Source: the reference implementations in the repository
 * <a href="https://github.com/standard-webhooks/standard-webhooks">standard-webhooks/standard-webhooks</a>,
 * {@code libraries/go/webhook_test.go} ({@code TestWebhookSign}) and
 * {@code libraries/java/src/test/java/com/standardwebhooks/WebhookTest.java} ({@code verifyWebhookSignWorks}),
 * which sign these inputs and compare with this signature. The signing scheme itself is in
 * {@code spec/standard-webhooks.md} of the same repository ("Signature scheme", "Webhook headers").
 */
class StandardWebhooksTestVectorTest {

    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    static final long TIMESTAMP = 1614265330;
    static final byte[] PAYLOAD = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    @Test
    void signerProducesThePublishedSignature() {
        WebhookSigner signer = WebhookSigner.create(WebhookSecret.parse(SECRET));
        SignedWebhook signed = signer.sign(ID, Instant.ofEpochSecond(TIMESTAMP), PAYLOAD);
        assertEquals(SIGNATURE, signed.signature());
        assertEquals(ID, signed.id());
        assertEquals(TIMESTAMP, signed.timestamp());
    }

    @Test
    void signerTimestampsWithItsClock() {
        WebhookSigner signer = WebhookSigner.builder().secrets(WebhookSecret.parse(SECRET))
                .clock(MutableClock.at(Instant.ofEpochSecond(TIMESTAMP, 999_000_000))).build();
        SignedWebhook signed = signer.sign(ID, PAYLOAD);
        assertEquals(TIMESTAMP, signed.timestamp(), "whole seconds, truncated");
        assertEquals(SIGNATURE, signed.signature());
    }

    @Test
    void verifierAcceptsThePublishedSignature() {
        WebhookVerifier verifier = WebhookVerifier.builder().secrets(WebhookSecret.parse(SECRET))
                .clock(MutableClock.atEpochSecond(TIMESTAMP)).build();
        VerifiedWebhook verified = verifier.verify(ID, Long.toString(TIMESTAMP), SIGNATURE, PAYLOAD);
        assertEquals(ID, verified.id());
        assertEquals(Instant.ofEpochSecond(TIMESTAMP), verified.timestamp());
    }
}
