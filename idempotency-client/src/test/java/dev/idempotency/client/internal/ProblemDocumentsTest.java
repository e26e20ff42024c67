package dev.idempotency.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProblemDocumentsTest {

    private static Optional<Map<String, Object>> read(String json) {
        return ProblemDocuments.members(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void topLevelMembersAreReadAndNestedOnesSkipped() {
        Map<String, Object> m = read("{ \"type\" : \"urn:x\", \"status\": 409, \"detail\": \"a \\\"quoted\\\" \\u00e9\","
                + " \"errors\": [{\"field\": \"}\"}, [1, {}]], \"retry\": true, \"n\": null, \"x\": -1.5e3 }").orElseThrow();
        assertEquals("urn:x", m.get("type"));
        assertEquals(409L, m.get("status"));
        assertEquals("a \"quoted\" \u00e9", m.get("detail"));
        assertEquals(Boolean.TRUE, m.get("retry"));
        assertTrue(m.containsKey("n"));
        assertEquals(-1500.0, m.get("x"));
        assertTrue(!m.containsKey("errors"));
    }

    @Test
    void anythingMalformedIsNotAProblem() {
        for (String bad : new String[] {"", "[]", "{", "{\"a\":}", "{\"a\":1} x", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}",
                "{\"a\":01}", "{\"a\" 1}", "not json", "{\"a\":\"\n\"}"}) {
            assertEquals(Optional.empty(), read(bad), bad);
        }
        assertEquals(Optional.of(Map.of()), read(" {} "));
    }
}
