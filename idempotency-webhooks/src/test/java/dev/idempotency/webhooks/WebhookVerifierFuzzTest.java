package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.idempotency.IdempotencyConfigException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

/**
 * Fuzzes the Standard Webhooks verifier, the signature header parser in it, and the secret parser: a
 * delivery is refused only with {@link WebhookVerificationException}, a delivery the signer signed always
 * verifies, and one changed byte of its body, id, timestamp or signature never does.
 */
class WebhookVerifierFuzzTest {

    private static final Instant NOW = Instant.ofEpochSecond(1_700_000_000L);
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @FuzzTest
    void verifyRefusesOnlyWithVerificationException(FuzzedDataProvider data) {
        WebhookSecret secret = secret(data);
        String id = data.consumeBoolean() ? null : data.consumeString(300);
        String timestamp = data.consumeBoolean() ? null : data.consumeString(24);
        String signature = data.consumeBoolean() ? null : data.consumeString(400);
        byte[] body = data.consumeRemainingAsBytes();
        try {
            WebhookVerifier.builder().secrets(secret).clock(CLOCK).build().verify(id, timestamp, signature, body);
        } catch (WebhookVerificationException refused) {
            assertTrue(refused.reason() != null && refused.getMessage() != null);
        }
    }

    @FuzzTest
    void signedDeliveryVerifiesAndNoChangedByteDoes(FuzzedDataProvider data) {
        WebhookSecret secret = secret(data);
        String id = data.consumeAsciiString(255);
        long secondsOff = data.consumeLong(-WebhookVerifier.DEFAULT_TOLERANCE_SECONDS,
                WebhookVerifier.DEFAULT_TOLERANCE_SECONDS);
        int part = data.consumeInt(0, 3);
        int position = data.consumeInt();
        byte flip = data.consumeByte();
        byte[] body = data.consumeRemainingAsBytes();
        if (WebhookIds.problem(id) != null) {
            assertThrows(IllegalArgumentException.class, () -> WebhookSigner.create(secret).sign(id, NOW, body));
            return;
        }
        WebhookVerifier verifier = WebhookVerifier.builder().secrets(secret).clock(CLOCK).build();
        SignedWebhook signed = WebhookSigner.create(secret).sign(id, NOW.plusSeconds(secondsOff), body);
        String timestamp = Long.toString(signed.timestamp());
        assertEquals(new VerifiedWebhook(id, NOW.plusSeconds(secondsOff)),
                verifier.verify(id, timestamp, signed.signature(), body));

        byte change = flip == 0 ? 1 : flip;
        String changedId = id;
        String changedTimestamp = timestamp;
        String changedSignature = signed.signature();
        byte[] changedBody = body;
        switch (part) {
            case 0 -> {
                if (body.length == 0) {
                    changedBody = new byte[] {change};
                } else {
                    changedBody = body.clone();
                    changedBody[Math.floorMod(position, body.length)] ^= change;
                }
            }
            case 1 -> changedId = new String(changed(id.getBytes(StandardCharsets.US_ASCII), position, change),
                    StandardCharsets.ISO_8859_1);
            case 2 -> changedTimestamp = new String(changed(timestamp.getBytes(StandardCharsets.US_ASCII),
                    position, change), StandardCharsets.ISO_8859_1);
            default -> {
                byte[] mac = Base64.getDecoder().decode(signed.signature().substring("v1,".length()));
                changedSignature = "v1," + Base64.getEncoder().encodeToString(changed(mac, position, change));
            }
        }
        String i = changedId;
        String t = changedTimestamp;
        String s = changedSignature;
        byte[] b = changedBody;
        assertThrows(WebhookVerificationException.class, () -> verifier.verify(i, t, s, b));
    }

    @FuzzTest
    void secretParserRefusesOnlyWithConfigException(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            WebhookSecret secret = WebhookSecret.parse(text);
            assertTrue(secret.length() >= WebhookSecret.MIN_BYTES && secret.length() <= WebhookSecret.MAX_BYTES);
        } catch (IdempotencyConfigException refused) {
            String encoded = text.startsWith(WebhookSecret.PREFIX) ? text.substring(WebhookSecret.PREFIX.length()) : "";
            if (encoded.length() >= 12 && encoded.chars().noneMatch(Character::isWhitespace)) {
                assertTrue(!refused.getMessage().contains(encoded), "the refusal does not repeat the secret");
            }
        }
    }

    private static byte[] changed(byte[] bytes, int position, byte change) {
        byte[] copy = bytes.clone();
        copy[Math.floorMod(position, copy.length)] ^= change;
        return copy;
    }

    private static WebhookSecret secret(FuzzedDataProvider data) {
        byte[] key = new byte[WebhookSecret.MIN_BYTES];
        for (int i = 0; i < key.length; i++) {
            key[i] = data.consumeByte();
        }
        return WebhookSecret.parse(WebhookSecret.PREFIX + Base64.getEncoder().encodeToString(key));
    }
}
