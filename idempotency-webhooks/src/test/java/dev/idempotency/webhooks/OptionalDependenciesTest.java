package dev.idempotency.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.inbox.JdbcInbox;
import dev.idempotency.servlet.CapturedExchange;
import jakarta.servlet.Filter;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.database.mysql.MySQLDatabaseType;
import org.flywaydb.database.postgresql.PostgreSQLDatabaseType;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * idempotency-jdbc, idempotency-servlet and the servlet API are optional dependencies of this module, for the
 * publisher and the receiver. Signing and verifying work for an application that has this module, the core and
 * jackson-core, and nothing else (no pool, no migrations, no servlet API); the publisher and the receiver work
 * when the application has the rest; and a receiver without idempotency-servlet is refused when it is built,
 * naming what to add. The modules run as named modules in layers of their own, with nothing of this test's
 * class path visible, so the module descriptor is checked too.
 */
class OptionalDependenciesTest {

    private static final String WEBHOOKS = "dev.idempotency.webhooks";
    private static final byte[] BODY = "{\"type\":\"post.published\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsAndVerifiesWithTheCoreAndJacksonCoreAlone() throws Exception {
        ModuleLayer layer = layer(Set.of(WEBHOOKS), WebhookSigner.class, IdempotencyConfigException.class,
                JsonFactory.class);
        assertEquals(Set.of(WEBHOOKS, "dev.idempotency.core", "com.fasterxml.jackson.core"),
                layer.modules().stream().map(Module::getName).collect(Collectors.toSet()));
        ClassLoader loader = layer.findLoader(WEBHOOKS);

        Class<?> secretClass = loader.loadClass(WebhookSecret.class.getName());
        Object secrets = Array.newInstance(secretClass, 1);
        Array.set(secrets, 0, secretClass.getMethod("generate").invoke(null));
        Class<?> signerClass = loader.loadClass(WebhookSigner.class.getName());
        Object signer = signerClass.getMethod("create", secrets.getClass()).invoke(null, secrets);
        Object signed = signerClass.getMethod("sign", String.class, byte[].class).invoke(signer, "msg_1", BODY);
        String timestamp = Long.toString((long) call(signed, "timestamp"));
        String signature = (String) call(signed, "signature");
        assertEquals(3, ((List<?>) call(signed, "headers")).size(), "the headers, as the core's Header");

        Class<?> verifierClass = loader.loadClass(WebhookVerifier.class.getName());
        Object verifier = verifierClass.getMethod("create", secrets.getClass()).invoke(null, secrets);
        Object verified = verifierClass.getMethod("verify", String.class, String.class, String.class, byte[].class)
                .invoke(verifier, "msg_1", timestamp, signature, BODY);
        assertEquals("msg_1", call(verified, "id"));

        InvocationTargetException tampered = assertThrows(InvocationTargetException.class,
                () -> verifierClass.getMethod("verify", String.class, String.class, String.class, byte[].class)
                        .invoke(verifier, "msg_1", timestamp, signature, "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(WebhookVerificationException.class.getName(), tampered.getCause().getClass().getName());
        InvocationTargetException malformed = assertThrows(InvocationTargetException.class,
                () -> secretClass.getMethod("parse", String.class).invoke(null, "not a secret"));
        assertEquals(IdempotencyConfigException.class.getName(), malformed.getCause().getClass().getName());

        for (Class<?> absent : List.of(Filter.class, CapturedExchange.class, JdbcInbox.class, HikariDataSource.class,
                Flyway.class)) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(absent.getName(), false, loader),
                    absent.getName() + " is not in the layer");
        }
    }

    @Test
    void theDescriptorRequiresTheCoreAndNeedsTheJdbcAndServletModulesOnlyWhenPresent() throws Exception {
        ModuleDescriptor descriptor = layer(Set.of(WEBHOOKS), WebhookSigner.class, IdempotencyConfigException.class,
                JsonFactory.class).findModule(WEBHOOKS).orElseThrow().getDescriptor();

        assertEquals(Set.of("java.base", "java.net.http", "dev.idempotency.core"), descriptor.requires().stream()
                .filter(r -> !r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))
                .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
        assertEquals(Set.of("dev.idempotency.jdbc", "dev.idempotency.servlet", "jakarta.servlet"),
                descriptor.requires().stream()
                .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))
                .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
        assertEquals(Set.of(WEBHOOKS), descriptor.exports().stream().map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet()));
    }

    @Test
    void thePublisherAndTheReceiverLoadWhenTheApplicationHasTheJdbcAndServletModules() throws Exception {
        // Resolved as for an application module that requires the three: the jdbc and servlet modules are static
        // dependences of the webhooks module, so they are in the layer only because the application has them.
        ModuleLayer layer = layer(Set.of(WEBHOOKS, "dev.idempotency.jdbc", "dev.idempotency.servlet"),
                WebhookSigner.class, IdempotencyConfigException.class, JsonFactory.class, JdbcInbox.class,
                CapturedExchange.class, Filter.class, HikariDataSource.class, LoggerFactory.class, Flyway.class,
                PostgreSQLDatabaseType.class, MySQLDatabaseType.class);
        Module webhooks = layer.findModule(WEBHOOKS).orElseThrow();
        assertTrue(webhooks.canRead(layer.findModule("dev.idempotency.jdbc").orElseThrow()));
        assertTrue(webhooks.canRead(layer.findModule("dev.idempotency.servlet").orElseThrow()));

        ClassLoader loader = layer.findLoader(WEBHOOKS);
        Class<?> receiver = Class.forName(WebhookReceiverFilter.class.getName(), true, loader);
        Class<?> publisher = Class.forName(WebhookPublisher.class.getName(), true, loader);
        assertEquals(Filter.class.getName(), receiver.getInterfaces()[0].getName());
        assertEquals("dev.idempotency.jdbc.outbox.OutboxPublisher", publisher.getInterfaces()[0].getName());
    }

    @Test
    void aReceiverWithoutTheServletModuleIsRefusedWhenBuiltNamingTheDependency() throws Exception {
        ModuleLayer layer = layer(Set.of(WEBHOOKS, "dev.idempotency.jdbc", "jakarta.servlet"),
                WebhookSigner.class, IdempotencyConfigException.class, JsonFactory.class, JdbcInbox.class,
                Filter.class, HikariDataSource.class, LoggerFactory.class, Flyway.class, PostgreSQLDatabaseType.class,
                MySQLDatabaseType.class);
        ClassLoader loader = layer.findLoader(WEBHOOKS);
        Class<?> receiver = Class.forName(WebhookReceiverFilter.class.getName(), true, loader);
        Class<?> inbox = Class.forName(JdbcInbox.class.getName(), false, loader);

        InvocationTargetException refused = assertThrows(InvocationTargetException.class,
                () -> receiver.getMethod("builder", inbox, String.class).invoke(null, null, "orders-webhooks"));
        assertEquals(IdempotencyConfigException.class.getName(), refused.getCause().getClass().getName());
        assertTrue(refused.getCause().getMessage().startsWith(
                "Missing dependency dev.idempotency:idempotency-servlet: WebhookReceiverFilter holds its handler's "
                        + "response"), refused.getCause().getMessage());
        assertEquals(CapturedExchange.class.getName(), WebhookReceiverFilter.CAPTURE_CLASS);
    }

    /**
     * A layer over the boot layer, with the platform class loader as parent (so nothing of this test's class path
     * is visible), holding the modules of the jars or folders the given classes came from, resolved from
     * {@code roots}: resolution fails if a mandatory dependence is not among them.
     */
    private static ModuleLayer layer(Set<String> roots, Class<?>... from) throws URISyntaxException {
        Path[] paths = new Path[from.length];
        for (int i = 0; i < from.length; i++) {
            paths[i] = Path.of(from[i].getProtectionDomain().getCodeSource().getLocation().toURI());
        }
        ModuleLayer boot = ModuleLayer.boot();
        Configuration configuration = boot.configuration().resolve(ModuleFinder.of(paths), ModuleFinder.of(), roots);
        return boot.defineModulesWithOneLoader(configuration, ClassLoader.getPlatformClassLoader());
    }

    private static Object call(Object target, String accessor) throws ReflectiveOperationException {
        return target.getClass().getMethod(accessor).invoke(target);
    }
}
