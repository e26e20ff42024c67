package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class WebhookSecretTest {

    private static final String SETTING = "app.webhooks.secret";

    @Test
    void parsesTheSpecificationsExampleSecretOf24Bytes() {
        WebhookSecret secret = WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assertEquals(24, secret.length());
        assertEquals("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secret.encoded());
    }

    @Test
    void acceptsBase64WithoutPadding() {
        String padded = "whsec_" + Base64.getEncoder().encodeToString(new byte[25]);
        assertTrue(padded.endsWith("="));
        WebhookSecret secret = WebhookSecret.parse(padded.replace("=", ""));
        assertEquals(25, secret.length());
        assertEquals(padded, secret.encoded());
    }

    @Test
    void generatesDistinct32ByteSecretsThatParseBack() {
        WebhookSecret first = WebhookSecret.generate();
        WebhookSecret second = WebhookSecret.generate();
        assertEquals(32, first.length());
        assertNotEquals(first.encoded(), second.encoded());
        assertEquals(first.encoded(), WebhookSecret.parse(first.encoded()).encoded());
    }

    @Test
    void aGeneratedSecretIsSharedInItsEncodedFormAndParsedBackOnTheOtherSide() {
        // tag::secret[]
        WebhookSecret secret = WebhookSecret.generate();      // 32 bytes from SecureRandom
        String shared = secret.encoded();                     // whsec_<base64>: store it as a credential
        // On the other side, at start-up: a malformed secret fails here, naming the setting.
        WebhookSecret parsed = WebhookSecret.parse("app.webhooks.secret", shared);
        // end::secret[]
        assertEquals(shared, parsed.encoded());
    }

    @Test
    void rejectsASecretWithoutThePrefixNamingTheSettingWithoutEchoingIt() {
        String bare = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        IdempotencyConfigException e = refused(bare);
        assertTrue(e.getMessage().contains("does not start with whsec_"), e.getMessage());
    }

    @Test
    void rejectsAsymmetricKeysAsUnsupported() {
        IdempotencyConfigException e = refused("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assertTrue(e.getMessage().contains("asymmetric"), e.getMessage());
    }

    @Test
    void rejectsAPrefixInTheWrongCase() {
        refused("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    }

    @Test
    void rejectsBadBase64WithoutQuotingTheOffendingCharacter() {
        IdempotencyConfigException e = refused("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La*aSw");
        assertTrue(e.getMessage().contains("not valid base64"), e.getMessage());
        assertFalse(e.getMessage().contains("*"), e.getMessage());
        assertFalse(e.getMessage().contains("2a"), "the decoder's message names the character in hex: " + e.getMessage());
    }

    @Test
    void rejectsUrlSafeBase64() {
        refused("whsec_" + Base64.getUrlEncoder().encodeToString(new byte[] {
            -5, -17, -1, -5, -17, -1, -5, -17, -1, -5, -17, -1, -5, -17, -1, -5, -17, -1, -5, -17, -1, -5, -17, -1}));
    }

    @Test
    void rejectsASecretOfFewerThan24Bytes() {
        String text = "whsec_" + Base64.getEncoder().encodeToString(new byte[23]);
        IdempotencyConfigException e = refused(text);
        assertTrue(e.getMessage().contains("23 bytes") && e.getMessage().contains("at least 24"), e.getMessage());
    }

    @Test
    void rejectsASecretOfMoreThan64Bytes() {
        String text = "whsec_" + Base64.getEncoder().encodeToString(new byte[65]);
        IdempotencyConfigException e = refused(text);
        assertTrue(e.getMessage().contains("65 bytes") && e.getMessage().contains("at most 64"), e.getMessage());
    }

    @Test
    void rejectsAnEmptySecret() {
        refused("whsec_");
        refused("");
    }

    @Test
    void rejectsSurroundingWhitespaceSuchAsATrailingNewline() {
        IdempotencyConfigException e = refused("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
        assertTrue(e.getMessage().contains("whitespace"), e.getMessage());
    }

    @Test
    void rejectsAMissingSecretNamingTheSetting() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> WebhookSecret.parse(SETTING, null));
        assertEquals(SETTING, e.setting());
        assertTrue(e.getMessage().contains(SETTING), e.getMessage());
    }

    @Test
    void usesADefaultSettingNameWhenNoneIsGiven() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> WebhookSecret.parse("nope"));
        assertEquals(WebhookSecret.DEFAULT_SETTING, e.setting());
    }

    @Test
    void toStringNeverRevealsTheKey() {
        WebhookSecret secret = WebhookSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assertFalse(secret.toString().contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), secret.toString());
        assertFalse(secret.toString().contains("MfKQ"), secret.toString());
        assertTrue(secret.toString().contains("24 bytes"), secret.toString());
    }

    /** Parses, expecting a refusal that names the setting and contains no part of the secret after its prefix. */
    private static IdempotencyConfigException refused(String text) {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> WebhookSecret.parse(SETTING, text));
        assertEquals(SETTING, e.setting());
        assertTrue(e.getMessage().contains(SETTING), e.getMessage());
        String body = text.startsWith("whsec_") ? text.substring(6).strip() : text.strip();
        if (body.length() >= 4) {
            for (int i = 0; i + 4 <= body.length(); i++) {
                String piece = body.substring(i, i + 4);
                assertFalse(e.getMessage().contains(piece) || e.value().contains(piece),
                        "the message quotes part of the secret (" + piece + "): " + e.getMessage());
            }
        }
        return e;
    }
}
