package dev.idempotency.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.IdempotencyConfigException;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ScopeResolver}s on real requests: {@link ScopeEchoServlet} resolves each request with the
 * resolver its path names and reports the result.
 */
class ScopeResolverTest {

    private static final String PROPERTY = IdempotencyFilter.SCOPE_PROPERTY;

    @RegisterExtension
    final JettyExtension jetty = new JettyExtension(app -> app.customize(context -> context.addServlet(
            new ServletHolder(new ScopeEchoServlet(Map.of(
                    "principal", ScopeResolver.principal(),
                    "api-key", ScopeResolver.header("X-Api-Key"),
                    "api-key-upper", ScopeResolver.header("X-API-KEY"),
                    "spec-principal", ScopeResolver.fromSpec(PROPERTY, "principal"),
                    "spec-header", ScopeResolver.fromSpec(PROPERTY, " header:X-Api-Key "),
                    "spec-class", ScopeResolver.fromSpec(PROPERTY, TenantScopeResolver.class.getName())))),
            "/scope/*")));

    @Test
    void headerResolverKeepsOnlyTheSha256OfTheValue(JettyApp app) throws Exception {
        Reply reply = app.get("/scope/api-key").apiKey("sk_live_51HxSecretValue").send();

        assertTrue(reply.text().contains("\"resolved\":true"), reply::toString);
        String scope = reply.jsonString("scope");
        assertEquals("header:x-api-key:" + sha256("sk_live_51HxSecretValue"), scope);
        assertFalse(scope.contains("sk_live"), "the raw API key must not appear in the scope: " + scope);
    }

    @Test
    void headerResolverGivesDifferentClientsDifferentScopes(JettyApp app) throws Exception {
        String a = app.get("/scope/api-key").apiKey("client-a").send().jsonString("scope");
        String b = app.get("/scope/api-key").apiKey("client-b").send().jsonString("scope");
        String aAgain = app.get("/scope/api-key").apiKey("client-a").send().jsonString("scope");

        assertNotEquals(a, b);
        assertEquals(a, aAgain);
    }

    @Test
    void headerResolverMatchesTheHeaderNameWithoutCase(JettyApp app) throws Exception {
        String lower = app.get("/scope/api-key").apiKey("client-a").send().jsonString("scope");
        String upper = app.get("/scope/api-key-upper").apiKey("client-a").send().jsonString("scope");

        assertEquals(lower, upper);
    }

    @Test
    void headerResolverLeavesRequestWithoutTheHeaderUnresolved(JettyApp app) throws Exception {
        Reply reply = app.get("/scope/api-key").noApiKey().send();

        assertUnresolved(reply);
        assertTrue(reply.jsonString("description").contains("X-Api-Key"), reply::toString);
    }

    @Test
    void headerResolverLeavesBlankHeaderUnresolved(JettyApp app) throws Exception {
        assertUnresolved(app.get("/scope/api-key").apiKey("   ").send());
    }

    @Test
    void headerResolverLeavesRepeatedHeaderUnresolved(JettyApp app) throws Exception {
        Reply reply = app.raw("GET", "/scope/api-key").header("X-Api-Key", "client-b").send();

        assertUnresolved(reply);
    }

    @Test
    void principalResolverNamesTheAuthenticatedUser(JettyApp app) throws Exception {
        Reply alice = app.get("/scope/principal").header("X-Test-User", "alice").send();
        Reply anonymous = app.get("/scope/principal").send();

        assertEquals("principal:alice", alice.jsonString("scope"));
        assertUnresolved(anonymous);
        assertTrue(anonymous.jsonString("description").contains("principal"), anonymous::toString);
    }

    @Test
    void principalWithEmptyNameIsUnresolved(JettyApp app) throws Exception {
        assertUnresolved(app.get("/scope/principal").header("X-Test-User", "").send());
    }

    @Test
    void specPrincipalIsThePrincipalResolver(JettyApp app) throws Exception {
        Reply alice = app.get("/scope/spec-principal").header("X-Test-User", "alice").send();

        assertEquals("principal:alice", alice.jsonString("scope"));
        assertEquals(ScopeResolver.principal().description(), alice.jsonString("description"));
    }

    @Test
    void specHeaderIsTheHeaderResolver(JettyApp app) throws Exception {
        String fromSpec = app.get("/scope/spec-header").apiKey("client-a").send().jsonString("scope");
        String direct = app.get("/scope/api-key").apiKey("client-a").send().jsonString("scope");

        assertEquals(direct, fromSpec);
    }

    @Test
    void specClassNameInstantiatesThatResolver(JettyApp app) throws Exception {
        Reply reply = app.get("/scope/spec-class").header("X-Tenant", "acme").send();

        assertEquals("tenant:acme", reply.jsonString("scope"));
        assertEquals("the X-Tenant header", reply.jsonString("description"));
        assertInstanceOf(TenantScopeResolver.class, ScopeResolver.fromSpec(PROPERTY, TenantScopeResolver.class.getName()));
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "   ", "header:", "header:  ", "header:X Api", "header:a:b", "Principal",
            "no.such.Resolver", "java.lang.String",
            "dev.idempotency.servlet.ScopeResolverTest$ResolverWithoutDefaultConstructor",
            "dev.idempotency.servlet.ScopeResolverTest$ResolverWhoseConstructorFails"})
    void specThatNamesNoUsableResolverIsRefusedNamingTheProperty(String spec) {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> ScopeResolver.fromSpec(PROPERTY, spec));

        assertEquals(PROPERTY, e.setting());
        assertTrue(e.getMessage().contains(PROPERTY), e::getMessage);
        assertTrue(e.getMessage().contains(spec == null ? "null" : "'" + spec + "'"), e::getMessage);
    }

    @Test
    void specOfAClassWhoseConstructorFailsSaysWhy() {
        IdempotencyConfigException e = assertThrows(IdempotencyConfigException.class,
                () -> ScopeResolver.fromSpec(PROPERTY, ResolverWhoseConstructorFails.class.getName()));

        assertTrue(e.getMessage().contains("no tenant table"), e::getMessage);
    }

    @Test
    void headerResolverNeedsAHeaderName() {
        assertThrows(NullPointerException.class, () -> ScopeResolver.header(null));
        assertThrows(IllegalArgumentException.class, () -> ScopeResolver.header(" "));
    }

    private static void assertUnresolved(Reply reply) {
        assertEquals(200, reply.status(), reply::toString);
        assertTrue(reply.text().contains("\"resolved\":false"), reply::toString);
        assertEquals("", reply.jsonString("scope"));
    }

    private static String sha256(String value) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(value.getBytes(StandardCharsets.UTF_8)));
    }

    /** Named in a spec: has no no-argument constructor. */
    public static final class ResolverWithoutDefaultConstructor implements ScopeResolver {

        public ResolverWithoutDefaultConstructor(String header) {
        }

        @Override
        public Optional<String> resolve(HttpServletRequest request) {
            return Optional.empty();
        }
    }

    /** Named in a spec: its constructor throws. */
    public static final class ResolverWhoseConstructorFails implements ScopeResolver {

        public ResolverWhoseConstructorFails() {
            throw new IllegalStateException("no tenant table");
        }

        @Override
        public Optional<String> resolve(HttpServletRequest request) {
            return Optional.empty();
        }
    }
}
