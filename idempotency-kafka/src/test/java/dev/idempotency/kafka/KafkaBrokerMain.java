package dev.idempotency.kafka;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The broker's JVM: formats its log directory the first time (a KRaft cluster of one node, broker and
 * controller), then runs Kafka's own {@code kafka.Kafka} on the properties file it was given. A restart on the
 * same directory finds it formatted and keeps its topics, records and committed offsets.
 *
 * <p>Arguments: the properties file, the log directory, the cluster id.
 */
public final class KafkaBrokerMain {

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        String properties = args[0];
        Path logDirectory = Path.of(args[1]);
        String clusterId = args[2];
        if (!Files.exists(logDirectory.resolve("meta.properties"))) {
            int status = kafka.tools.StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", properties},
                    new PrintStream(System.err, true));
            if (status != 0) {
                System.err.println("Formatting " + logDirectory + " failed with status " + status);
                System.exit(status);
            }
        }
        kafka.Kafka.main(new String[] {properties});
    }
}
