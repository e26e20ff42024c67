package dev.idempotency.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idempotency.testing.ModulePath;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The module resolves as a named module on a module path made of its dependencies' jars, exports its API package
 * only, and its public types load in that layer. The tests run on the class path; this is the one that would
 * catch a missing {@code requires} or an exported internal package.
 */
class ModuleDescriptorTest {

    /** The module's classes, and the jars of what it requires, directly or transitively. */
    private static final Pattern MODULE_PATH_ENTRIES = Pattern.compile(
            "idempotency-kafka/target/classes$|/kafka-clients-[0-9][^/]*\\.jar$|"
                    + ModulePath.JDBC_AND_ITS_DEPENDENCIES);

    @Test
    void resolvesOnTheModulePathAndExportsOnlyItsApi() {
        Module module = ModulePath.resolve("dev.idempotency.kafka", MODULE_PATH_ENTRIES);
        assertEquals(Set.of("dev.idempotency.kafka"), ModulePath.exports(module));
        for (String type : List.of("KafkaOutboxPublisher", "KafkaInboxConsumer", "KafkaRecordHandler",
                "MessageIdExtractor")) {
            ModulePath.load(module, "dev.idempotency.kafka." + type);
        }
        assertTrue(module.getLayer().findModule("kafka.clients").isPresent(), "the client, by its module name");
    }
}
