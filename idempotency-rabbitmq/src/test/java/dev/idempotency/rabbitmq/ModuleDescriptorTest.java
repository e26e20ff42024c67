package dev.idempotency.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.ModulePath;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The module resolves as a named module on a module path made of its dependencies' jars (the RabbitMQ client by
 * its automatic name), exports its API package only, and its public types load in that layer. The tests run on
 * the class path; this is the one that would catch a missing {@code requires} or an exported internal package.
 */
class ModuleDescriptorTest {

    /** The module's classes, and the jars of what it requires, directly or through idempotency-jdbc. */
    private static final Pattern MODULE_PATH_ENTRIES = Pattern.compile(
            "idempotency-rabbitmq/target/classes$|/amqp-client-[0-9][^/]*\\.jar$|"
                    + ModulePath.JDBC_AND_ITS_DEPENDENCIES);

    @Test
    void resolvesOnTheModulePathAndExportsOnlyItsApi() {
        Module module = ModulePath.resolve("dev.idempotency.rabbitmq", MODULE_PATH_ENTRIES);
        assertEquals(Set.of("dev.idempotency.rabbitmq"), ModulePath.exports(module));
        assertTrue(module.getDescriptor().packages().contains("dev.idempotency.rabbitmq.internal"));
        assertFalse(module.isExported("dev.idempotency.rabbitmq.internal"));
        assertTrue(module.getDescriptor().requires().stream().anyMatch(r -> r.name().equals("com.rabbitmq.client")),
                module.getDescriptor().requires().toString());
        for (String type : List.of("RabbitPublisher", "RabbitInboxConsumer", "RabbitInboxHandler",
                "MessageIdExtractor")) {
            ModulePath.load(module, "dev.idempotency.rabbitmq." + type);
        }
        assertTrue(module.getLayer().findModule("com.rabbitmq.client").isPresent(), "the client, by its automatic name");
    }
}
