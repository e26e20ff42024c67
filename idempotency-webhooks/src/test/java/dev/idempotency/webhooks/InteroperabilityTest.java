package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idempotency.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The signature format proven against two implementations that share no code with this library (see
 * {@link IndependentSignatures}): OpenSSL and Python's {@code hmac} module. Both reproduce the specification's
 * published test vector, our signer produces exactly what they produce, and our verifier accepts what they
 * produce, for bodies that are JSON, empty, multi-line, non-ASCII and arbitrary binary.
 */
class InteroperabilityTest {

    private static final long NOW = 1_714_000_000L;

    @Test
    void opensslAndPythonReproduceThePublishedTestVector() {
        String openssl = IndependentSignatures.openssl(StandardWebhooksTestVectorTest.SECRET,
                StandardWebhooksTestVectorTest.ID, StandardWebhooksTestVectorTest.TIMESTAMP,
                StandardWebhooksTestVectorTest.PAYLOAD);
        String python = IndependentSignatures.python(StandardWebhooksTestVectorTest.SECRET,
                StandardWebhooksTestVectorTest.ID, StandardWebhooksTestVectorTest.TIMESTAMP,
                StandardWebhooksTestVectorTest.PAYLOAD);
        assertEquals(StandardWebhooksTestVectorTest.SIGNATURE, openssl);
        assertEquals(StandardWebhooksTestVectorTest.SIGNATURE, python);
    }

    @Test
    void ourSignerProducesWhatOpensslProduces() {
        for (Case c : cases()) {
            assertEquals(IndependentSignatures.openssl(c.secret().encoded(), c.id(), NOW, c.body()),
                    sign(c), c.description());
        }
    }

    @Test
    void ourSignerProducesWhatPythonProduces() {
        for (Case c : cases()) {
            assertEquals(IndependentSignatures.python(c.secret().encoded(), c.id(), NOW, c.body()),
                    sign(c), c.description());
        }
    }

    @Test
    void ourVerifierAcceptsSignaturesMadeByOpensslAndPython() {
        for (Case c : cases()) {
            WebhookVerifier verifier = WebhookVerifier.builder().secrets(c.secret())
                    .clock(MutableClock.atEpochSecond(NOW)).build();
            String openssl = IndependentSignatures.openssl(c.secret().encoded(), c.id(), NOW, c.body());
            String python = IndependentSignatures.python(c.secret().encoded(), c.id(), NOW, c.body());
            assertEquals(c.id(), verifier.verify(c.id(), Long.toString(NOW), openssl, c.body()).id(), c.description());
            assertEquals(c.id(), verifier.verify(c.id(), Long.toString(NOW), python, c.body()).id(), c.description());
            // Both, space-separated, as a sender rotating between two tools' keys would send them.
            assertEquals(c.id(), verifier.verify(c.id(), Long.toString(NOW), openssl + " " + python, c.body()).id());
        }
    }

    private static String sign(Case c) {
        return WebhookSigner.create(c.secret()).sign(c.id(), Instant.ofEpochSecond(NOW), c.body()).signature();
    }

    private static List<Case> cases() {
        Random random = new Random(20240425);
        byte[] binary = new byte[4096];
        random.nextBytes(binary);
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("minified JSON", WebhookSecret.generate(), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
                "{\"type\":\"contact.created\",\"timestamp\":\"2022-11-03T20:26:10.344522Z\",\"data\":{\"id\":\"1f81eb52\"}}"
                        .getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("empty body", WebhookSecret.generate(), "evt_0", new byte[0]));
        cases.add(new Case("pretty JSON with a trailing newline and non-ASCII text", WebhookSecret.generate(),
                "9f6c1c1e-6c44-4c55-9f0a-7ad2f3b3a001",
                "{\n  \"name\": \"Zoë Ångström ✓\",\n  \"note\": \"tab\\there\"\n}\n".getBytes(StandardCharsets.UTF_8)));
        cases.add(new Case("4 KiB of random binary with a 64-byte secret", secretOf(64, random), "msg_binary",
                binary));
        cases.add(new Case("a 24-byte secret", secretOf(24, random), "msg_short_key",
                "ping".getBytes(StandardCharsets.UTF_8)));
        return cases;
    }

    private static WebhookSecret secretOf(int bytes, Random random) {
        byte[] key = new byte[bytes];
        random.nextBytes(key);
        return WebhookSecret.parse("whsec_" + java.util.Base64.getEncoder().encodeToString(key));
    }

    private record Case(String description, WebhookSecret secret, String id, byte[] body) {
    }
}
