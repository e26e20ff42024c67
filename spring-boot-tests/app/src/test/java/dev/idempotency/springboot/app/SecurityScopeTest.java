package dev.idempotency.springboot.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With Spring Security, the starter's default scope is the authenticated principal: its filter runs after
 * Security's chain, so two users' keys never meet, and a request Security refuses never reaches it.
 */
class SecurityScopeTest {

    private static final String ORDER = "{\"item\":\"book\"}";
    private static final String ALICE = RunningApp.basic("alice", "alice-secret");
    private static final String BOB = RunningApp.basic("bob", "bob-secret");

    private RunningApp app;

    @BeforeEach
    void start() {
        app = RunningApp.start(Map.of("spring.datasource.url", "jdbc:h2:mem:security-" + UUID.randomUUID()
                + ";DB_CLOSE_DELAY=-1", "spring.datasource.username", "sa"), "security");
    }

    @AfterEach
    void stop() {
        app.close();
    }

    @Test
    void eachUsersKeysAreTheirOwn() throws Exception {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> alice = app.post("/orders", ORDER, "Idempotency-Key", key, "Authorization", ALICE);
        HttpResponse<String> bob = app.post("/orders", ORDER, "Idempotency-Key", key, "Authorization", BOB);
        HttpResponse<String> aliceAgain = app.post("/orders", ORDER, "Idempotency-Key", key, "Authorization", ALICE);

        assertEquals(201, alice.statusCode(), alice.body());
        assertEquals(201, bob.statusCode(), bob.body());
        assertNotEquals(alice.body(), bob.body(), "bob's request ran for bob");
        assertEquals("true", aliceAgain.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(alice.body(), aliceAgain.body());
    }

    @Test
    void aRequestSecurityRefusesNeverReachesTheFilter() throws Exception {
        HttpResponse<String> anonymous = app.post("/orders", ORDER, "Idempotency-Key", UUID.randomUUID().toString());
        assertEquals(401, anonymous.statusCode());
        assertEquals(0L, app.jdbc().queryForObject("SELECT count(*) FROM idempotency_record", Long.class));
    }
}
