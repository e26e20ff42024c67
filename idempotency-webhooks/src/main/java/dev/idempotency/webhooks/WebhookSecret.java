package dev.idempotency.webhooks;

import dev.idempotency.IdempotencyConfigException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A symmetric Standard Webhooks signing secret: {@value #PREFIX} followed by the standard base64 encoding
 * (with or without {@code =} padding) of {@value #MIN_BYTES} to {@value #MAX_BYTES} random bytes, for example
 * {@code whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}. The sender and the receiver of a webhook endpoint share it.
 *
 * <p>A malformed secret is refused when it is parsed, that is at configuration time, with an
 * {@link IdempotencyConfigException} that names the setting and says what is wrong without echoing the
 * secret. {@link #toString()} never shows the key; {@link #encoded()} is the only way to read it back.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class WebhookSecret {

    /** The prefix that marks a symmetric (HMAC-SHA256) Standard Webhooks secret. */
    public static final String PREFIX = "whsec_";

    /** The fewest random bytes a secret may have (192 bits), as the specification requires. */
    public static final int MIN_BYTES = 24;

    /** The most bytes a secret may have (512 bits), as the specification allows. */
    public static final int MAX_BYTES = 64;

    /** How many random bytes {@link #generate()} draws. */
    public static final int GENERATED_BYTES = 32;

    /** The setting name used in messages when the caller does not give one. */
    public static final String DEFAULT_SETTING = "webhook secret";

    private static final String HMAC = "HmacSHA256";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;
    private final SecretKeySpec keySpec;

    private WebhookSecret(byte[] key) {
        this.key = key;
        this.keySpec = new SecretKeySpec(key, HMAC);
    }

    /**
     * Parses a secret in the {@code whsec_<base64>} form; messages name the setting
     * {@value #DEFAULT_SETTING}.
     *
     * @throws IdempotencyConfigException if the text is missing, lacks the prefix, is not base64, or decodes to
     *     fewer than {@value #MIN_BYTES} or more than {@value #MAX_BYTES} bytes
     */
    public static WebhookSecret parse(String text) {
        return parse(DEFAULT_SETTING, text);
    }

    /**
     * Parses a secret in the {@code whsec_<base64>} form.
     *
     * @param setting where the secret came from, named in the message if it is refused, such as
     *     {@code app.webhooks.secret} or {@code the WEBHOOK_SECRET environment variable}
     * @param text the secret
     * @throws IdempotencyConfigException if the text is missing, lacks the prefix, is not base64, or decodes to
     *     fewer than {@value #MIN_BYTES} or more than {@value #MAX_BYTES} bytes; the message says which, and
     *     never contains the text itself
     */
    public static WebhookSecret parse(String setting, String text) {
        Objects.requireNonNull(setting, "setting");
        if (text == null) {
            throw IdempotencyConfigException.missing(setting, "expected a Standard Webhooks secret, "
                    + PREFIX + " followed by the base64 of at least " + MIN_BYTES + " random bytes");
        }
        if (!text.equals(text.strip())) {
            throw refused(setting, text, "it has leading or trailing whitespace (a newline from the file or "
                    + "variable it was read from?); remove it");
        }
        if (!text.startsWith(PREFIX)) {
            String why = text.startsWith("whsk_") || text.startsWith("whpk_")
                    ? "it is an asymmetric (ed25519, v1a) key, and only symmetric " + PREFIX + " secrets (v1 "
                            + "signatures, HMAC-SHA256) are supported"
                    : "it does not start with " + PREFIX + "; a Standard Webhooks secret is " + PREFIX
                            + " followed by base64 (add the prefix if you were given the bare base64)";
            throw refused(setting, text, why);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            // The decoder's own message quotes the offending character, a piece of the secret: not passed on.
            throw refused(setting, text, "the part after " + PREFIX + " is not valid base64 (the standard "
                    + "alphabet A-Z a-z 0-9 + / with optional = padding)");
        }
        if (key.length < MIN_BYTES) {
            throw refused(setting, text, "it decodes to " + key.length + " bytes, and Standard Webhooks secrets "
                    + "need at least " + MIN_BYTES + " random bytes; generate a new one (WebhookSecret.generate())");
        }
        if (key.length > MAX_BYTES) {
            throw refused(setting, text, "it decodes to " + key.length + " bytes, and Standard Webhooks secrets "
                    + "have at most " + MAX_BYTES + " bytes");
        }
        return new WebhookSecret(key);
    }

    /** A new secret of {@value #GENERATED_BYTES} bytes from a {@link SecureRandom}. */
    public static WebhookSecret generate() {
        byte[] key = new byte[GENERATED_BYTES];
        RANDOM.nextBytes(key);
        return new WebhookSecret(key);
    }

    private static IdempotencyConfigException refused(String setting, String text, String why) {
        // The value shown in the message describes the secret's shape only; never a character of it.
        return IdempotencyConfigException.inconsistent(setting, "<redacted, " + text.length() + " characters>", why);
    }

    /**
     * The secret in its {@code whsec_<base64>} form, to hand to the other side of the endpoint or to store.
     * This is the key itself: treat the result as a credential.
     */
    public String encoded() {
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** The number of key bytes. */
    public int length() {
        return key.length;
    }

    /**
     * The HMAC-SHA256 of {@code {id}.{timestamp}.{body}} under this secret: the raw bytes of a v1 signature.
     */
    byte[] sign(String id, long timestamp, byte[] body) {
        Mac mac = newMac();
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        mac.update(body);
        return mac.doFinal();
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(keySpec);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            // Every Java platform must provide HmacSHA256 (Mac javadoc), and any key length is valid for it.
            throw new IllegalStateException("HmacSHA256 is not available on this Java platform", e);
        }
    }

    /** Shows the key's length only, never the key. */
    @Override
    public String toString() {
        return "WebhookSecret[" + PREFIX + "<redacted>, " + key.length + " bytes]";
    }
}
