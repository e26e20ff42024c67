package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The verifier compares signatures with {@link java.security.MessageDigest#isEqual}, whose time does not
 * depend on where two signatures first differ, so response times do not reveal how much of a forged
 * signature was right. Timing cannot be asserted reliably in a unit test; what the compiled verifier calls can.
 */
class SignatureComparisonTest {

    @Test
    void verifierComparesSignaturesInConstantTime() throws IOException {
        String classFile = classFile(WebhookVerifier.class);
        assertTrue(classFile.contains("java/security/MessageDigest") && classFile.contains("isEqual"),
                "WebhookVerifier calls MessageDigest.isEqual");
        assertFalse(classFile.contains("java/util/Arrays") && classFile.contains("([B[B)Z"),
                "WebhookVerifier compares no byte arrays with Arrays.equals");
    }

    private static String classFile(Class<?> type) throws IOException {
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
            // ISO-8859-1 keeps every byte, so the constant pool's names can be searched as text.
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
