package dev.idempotency.examples.client;

import java.io.PrintStream;
import java.net.URI;
import java.util.List;

/**
 * {@code java -jar idempotency-example.jar client --url http://127.0.0.1:8080 --calls 1000 --chaos}: runs a
 * {@link ClientExperiment} against a running demo and prints its ledger. Exit status 0 when every answered
 * call took effect exactly once, 1 when not, 2 for an unusable command line.
 */
public final class ClientCommand {

    /** Exit status when the ledger shows exactly-once. */
    public static final int EXIT_OK = 0;

    /** Exit status when a call was lost or duplicated. */
    public static final int EXIT_NOT_EXACTLY_ONCE = 1;

    /** Exit status for an unusable command line. */
    public static final int EXIT_USAGE = 2;

    /** What {@code client --help} prints. */
    public static final String USAGE = String.join(System.lineSeparator(),
            "Usage: java -jar idempotency-example.jar client --url URL [options]",
            "Makes logical calls (POST /posts, one post each) from concurrent threads to a running demo, then",
            "counts the posts in the demo's database and prints the ledger.",
            "  --url URL         the demo's address, e.g. http://127.0.0.1:8080 (required)",
            "  --calls N         logical calls to make (default 1000)",
            "  --threads N       client threads (default 8)",
            "  --chaos           send them through a built-in proxy that, at random, loses the server's answer",
            "                    after the server processed the request, resets connections, delays, or answers 503",
            "  --naive           retry with a new key on every attempt, the usual mistake, to see it duplicate",
            "  --api-key KEY     the X-Api-Key the calls identify themselves with (default client-demo)",
            "  --seed N          the proxy's random seed, to repeat a run (default: random)",
            "  --help            print this message");

    private ClientCommand() {
    }

    /** Runs the command with {@code args} (those after {@code client}); returns the exit status. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        URI url = null;
        int calls = 1000;
        int threads = 8;
        boolean chaos = false;
        boolean naive = false;
        String apiKey = "client-demo";
        long seed = System.nanoTime();
        try {
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                switch (name) {
                    case "--help" -> {
                        out.println(USAGE);
                        return EXIT_OK;
                    }
                    case "--chaos" -> chaos = true;
                    case "--naive" -> naive = true;
                    case "--url", "--calls", "--threads", "--api-key", "--seed" -> {
                        String value;
                        if (arg.contains("=")) {
                            value = arg.substring(arg.indexOf('=') + 1);
                        } else if (i + 1 < args.size()) {
                            value = args.get(++i);
                        } else {
                            throw new IllegalArgumentException(name + " needs a value");
                        }
                        switch (name) {
                            case "--url" -> url = url(value);
                            case "--calls" -> calls = number(name, value, 1, 1_000_000);
                            case "--threads" -> threads = number(name, value, 1, 256);
                            case "--api-key" -> apiKey = value;
                            default -> seed = number(name, value, Long.MIN_VALUE, Long.MAX_VALUE);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            if (url == null) {
                throw new IllegalArgumentException("--url is required, e.g. --url http://127.0.0.1:8080");
            }
        } catch (IllegalArgumentException e) {
            err.println("client: " + e.getMessage());
            err.println(USAGE);
            return EXIT_USAGE;
        }
        ClientExperiment.Client client = naive ? ClientExperiment.Client.NAIVE : ClientExperiment.Client.IDEMPOTENT;
        out.println("Making " + calls + " calls to " + url + " from " + threads + " threads"
                + (chaos ? " through a chaos proxy (seed " + seed + ")" : "") + " ...");
        try {
            ClientExperiment.Ledger ledger = new ClientExperiment(url, apiKey).run(client, calls, threads, chaos, seed);
            out.println(ledger.line(client, chaos));
            out.println(ledger.exactlyOnce() ? "Exactly once: every answered call has one post, and no call has two."
                    : "NOT exactly once: " + ledger.lost() + " answered calls without their post, "
                            + ledger.duplicated() + " posts too many.");
            return ledger.exactlyOnce() ? EXIT_OK : EXIT_NOT_EXACTLY_ONCE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("client: interrupted");
            return EXIT_NOT_EXACTLY_ONCE;
        } catch (Exception e) {
            err.println("client: the experiment could not run: " + e.getMessage());
            return EXIT_NOT_EXACTLY_ONCE;
        }
    }

    private static URI url(String value) {
        try {
            URI uri = URI.create(value);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("--url must be an http:// address with a host, not " + value);
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--url must be an http:// address with a host, not " + value);
        }
    }

    private static long number(String name, String value, long min, long max) {
        try {
            long number = Long.parseLong(value.strip());
            if (number < min || number > max) {
                throw new NumberFormatException();
            }
            return number;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max + ", not "
                    + value);
        }
    }

    private static int number(String name, String value, int min, int max) {
        return (int) number(name, value, (long) min, (long) max);
    }
}
