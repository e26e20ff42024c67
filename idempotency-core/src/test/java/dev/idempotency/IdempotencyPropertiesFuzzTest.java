package dev.idempotency;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Fuzzes the configuration parser with one property at a time. The input is {@code name=value} as in a
 * properties file, the name without the {@code idempotency.} prefix; an input without {@code =} is a value
 * for {@code key-ttl}. Whatever the value, the parser either builds a configuration or refuses with an
 * {@link IdempotencyConfigException} that names the property.
 */
class IdempotencyPropertiesFuzzTest {

    @FuzzTest
    void parseRefusesOnlyWithConfigException(byte[] data) {
        String line = new String(data, StandardCharsets.UTF_8);
        int equals = line.indexOf('=');
        String name = IdempotencyProperties.PREFIX + (equals < 0 ? "key-ttl" : line.substring(0, equals));
        String value = equals < 0 ? line : line.substring(equals + 1);
        try {
            assertNotNull(IdempotencyProperties.parse(Map.of(name, value)));
        } catch (IdempotencyConfigException refused) {
            assertTrue(refused.getMessage().contains(name), refused.getMessage());
        }
    }
}
