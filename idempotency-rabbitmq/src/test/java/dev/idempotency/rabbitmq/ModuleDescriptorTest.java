package dev.idempotency.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module resolves as a named module on a module path made of its dependencies' jars (the RabbitMQ client by
 * its automatic name), exports its API package only, and its public types load in that layer. The tests run on
 * the class path; this is the one that would catch a missing {@code requires} or an exported internal package.
 */
class ModuleDescriptorTest {

    /** The module's classes, and the jars of what it requires, directly or through idempotency-jdbc. */
    private static final Pattern MODULE_PATH_ENTRIES = Pattern.compile(
            "idempotency-rabbitmq/target/classes$|idempotency-(core|jdbc)(-[0-9][^/]*\\.jar|/target/classes)$"
                    + "|/(amqp-client|jackson-(core|databind|annotations)|HikariCP|slf4j-api|flyway-core"
                    + "|flyway-database-postgresql|flyway-mysql|commons-text|commons-lang3)-[0-9][^/]*\\.jar$");

    @Test
    void resolvesOnTheModulePathAndExportsOnlyItsApi() throws Exception {
        List<Path> modulePath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> MODULE_PATH_ENTRIES.matcher(entry.replace(File.separatorChar, '/')).find())
                .map(Path::of).collect(Collectors.toList());
        ModuleFinder finder = ModuleFinder.of(modulePath.toArray(Path[]::new));
        ModuleDescriptor descriptor = finder.find("dev.idempotency.rabbitmq").orElseThrow(() -> new AssertionError(
                "no module dev.idempotency.rabbitmq on " + modulePath)).descriptor();

        assertFalse(descriptor.isAutomatic(), "a module descriptor of its own");
        assertEquals(Set.of("dev.idempotency.rabbitmq"), descriptor.exports().stream()
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(descriptor.packages().contains("dev.idempotency.rabbitmq.internal"));
        assertTrue(descriptor.requires().stream().anyMatch(r -> r.name().equals("com.rabbitmq.client")),
                descriptor.requires().toString());

        Configuration configuration = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(),
                Set.of("dev.idempotency.rabbitmq"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(configuration,
                ClassLoader.getPlatformClassLoader());
        Module module = layer.findModule("dev.idempotency.rabbitmq").orElseThrow();
        for (String type : List.of("RabbitPublisher", "RabbitInboxConsumer", "RabbitInboxHandler",
                "MessageIdExtractor")) {
            Class<?> loaded = Class.forName("dev.idempotency.rabbitmq." + type, true, module.getClassLoader());
            assertEquals(module, loaded.getModule());
        }
        assertFalse(module.isExported("dev.idempotency.rabbitmq.internal"));
        assertTrue(layer.findModule("com.rabbitmq.client").isPresent(), "the client, by its automatic name");
    }
}
