package dev.idempotency.examples;

import dev.idempotency.jdbc.Redaction;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The command-line options of {@link PublishingApiServer}, immutable.
 *
 * <p>Build them from arguments with {@link #parse(String...)}, or in code starting from
 * {@link #defaults()} (tests do that). Values are checked where they can be without side effects; the
 * {@code --key-ttl}, {@code --lease-duration} and {@code --webhook-secret} values are read by
 * {@link PublishingApiServer#start(Options)} with the library's own parsers, so they accept exactly what the
 * library accepts (the properties {@code idempotency.key-ttl} and {@code idempotency.lease-duration},
 * {@code WebhookSecret.parse}).
 *
 * @param host the address to listen on: an IP address (IPv6 without brackets) or a host name, resolved when
 *     the server starts. Default {@value #DEFAULT_HOST}, the loopback interface, so that only this machine
 *     can reach the demo; {@code 0.0.0.0} or {@code ::} listens on every interface
 * @param port the TCP port; 0 picks a free one. Default {@value #DEFAULT_PORT}
 * @param dataDir the directory of the embedded H2 database, used when {@code jdbcUrl} is absent. Default
 *     {@value #DEFAULT_DATA_DIR}
 * @param jdbcUrl the database to use instead of the embedded one (PostgreSQL, say), if any
 * @param jdbcUser the user for {@code jdbcUrl}, if any
 * @param jdbcPassword the password for {@code jdbcUrl}, if any
 * @param keyTtl how long idempotency keys are kept, as text such as {@code 24h}, if not the library default
 * @param paymentsUrl the payment provider {@code POST /payments} charges, if any; without it that endpoint
 *     answers 503
 * @param leaseDuration the lease of a running {@code POST /payments}, as text such as {@code 30s}, if not
 *     {@value #DEFAULT_LEASE_DURATION}
 * @param webhookUrl where {@code post.published} webhooks are sent, if not to the demo's own receiver
 *     ({@code http://<host>:<port>/webhooks/post-published}, with the address actually bound)
 * @param webhookSecret the Standard Webhooks secret ({@code whsec_...}) the webhooks are signed and verified
 *     with, as text, if not one generated at start; read by {@link PublishingApiServer#start(Options)} with
 *     the library's parser, and never shown by {@link #toString()}
 * @param roundTrip whether to run the round trip ({@code --round-trip}, see {@link RoundTrip}) instead of
 *     serving
 * @param temporaryDatabase whether the round trip runs on a new embedded database in a temporary directory,
 *     deleted afterwards, instead of {@code dataDir}: {@code --round-trip} without {@code --data-dir} or
 *     {@code --jdbc-url}
 * @param claim when {@code POST /posts} claims its key, {@code pessimistic} or {@code optimistic}
 *     ({@code idempotency.claim}), if not the library's default; read by {@link PublishingApiServer#start(Options)}
 *     with the library's parser
 * @param broker the broker {@code post.published} goes to instead of the webhook ({@code --broker}), and is
 *     consumed back from by the demo's inbox consumer, if any; its password is never shown by {@link #toString()}
 */
public record Options(String host, int port, Path dataDir, Optional<String> jdbcUrl, Optional<String> jdbcUser,
        Optional<String> jdbcPassword, Optional<String> keyTtl, Optional<URI> paymentsUrl,
        Optional<String> leaseDuration, Optional<URI> webhookUrl, Optional<String> webhookSecret,
        boolean roundTrip, boolean temporaryDatabase, Optional<String> claim, Optional<BrokerUri> broker) {

    /**
     * The address listened on without {@code --host}: the IPv4 loopback address. A demo whose fault knobs let
     * any client delay and fail requests must not be reachable from the network unless asked to be.
     */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** The port used without {@code --port}. */
    public static final int DEFAULT_PORT = 8080;

    /** The data directory used without {@code --data-dir}, relative to the working directory. */
    public static final String DEFAULT_DATA_DIR = "./idempotency-example-data";

    /** The lease of a running {@code POST /payments} without {@code --lease-duration}: the library's default. */
    public static final String DEFAULT_LEASE_DURATION = "30s";

    /** What {@code --help} prints, and what a usage error prints after its message. */
    public static final String USAGE = String.join(System.lineSeparator(),
            "Usage: java -jar idempotency-example.jar [options]",
            "",
            "  --host ADDRESS         address to listen on (default " + DEFAULT_HOST + ", this machine only);",
            "                         0.0.0.0 or :: for every interface",
            "  --port N               TCP port to listen on; 0 picks a free one (default " + DEFAULT_PORT + ")",
            "  --data-dir DIR         directory of the embedded H2 database (default " + DEFAULT_DATA_DIR + ")",
            "  --jdbc-url URL         use this database instead, e.g. jdbc:postgresql://localhost:5432/app",
            "                         or jdbc:mariadb://localhost:3306/app (MariaDB, MySQL)",
            "  --jdbc-user USER       user for --jdbc-url",
            "  --jdbc-password PASS   password for --jdbc-url",
            "  --key-ttl DURATION     how long idempotency keys are kept: 24h, 30m, PT1H ... (default 24h)",
            "  --payments-url URL     payment provider that POST /payments charges, e.g. http://localhost:9090",
            "                         (without it, POST /payments answers 503)",
            "  --lease-duration DUR   lease of a running POST /payments: 30s, 2s, PT1M ... (default "
                    + DEFAULT_LEASE_DURATION + ")",
            "  --webhook-url URL      where post.published webhooks are sent (default: the demo's own receiver,",
            "                         http://<host>:<port>" + PublishingApiServer.WEBHOOK_PATH + ")",
            "  --webhook-secret KEY   whsec_... secret the webhooks are signed and verified with",
            "                         (default: a new one generated at every start)",
            "  --claim KIND           when POST /posts claims its key: pessimistic (before its handler, the",
            "                         default) or optimistic (with its outcome, just before the commit)",
            "  --broker URI           send post.published to this broker instead of as a webhook, and consume it",
            "                         back through an inbox consumer into GET " + PublishingApiServer.RECEIVED_PATH + ":",
            "                         amqp://user:password@host:5672 (RabbitMQ), nats://host:4222 (NATS",
            "                         JetStream) or kafka://host:9092 (Kafka). One broker; the demo declares its",
            "                         own exchange and queues, stream and consumer, or topics and group",
            "  --round-trip           post once, follow the event through the outbox, the signed webhook and the",
            "                         receiver (or the broker and its consumer, with --broker), show a",
            "                         redelivery (and a tampered webhook), print each step, stop; on a free port",
            "                         and a temporary database unless --port, --data-dir or --jdbc-url say",
            "                         otherwise. Exit status 0 when every step holds",
            "  --help                 print this message",
            "",
            "Options take their value as the next argument or after '=', as in --port=8080.",
            "",
            "  client --url URL ...   instead of serving, make calls to a running demo through a flaky proxy and",
            "                         print the ledger; client --help says more");

    private static final List<String> KNOWN = List.of("--host", "--port", "--data-dir", "--jdbc-url", "--jdbc-user",
            "--jdbc-password", "--key-ttl", "--payments-url", "--lease-duration", "--webhook-url",
            "--webhook-secret", "--claim", "--broker");

    /** Options that take no value. */
    private static final List<String> FLAGS = List.of("--round-trip");

    /**
     * A host name as RFC 1123 spells one: dot-separated labels of letters, digits and hyphens, neither
     * starting nor ending with a hyphen. IPv4 addresses are spelt this way too.
     */
    private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final Pattern HOST_NAME = Pattern.compile("(?=.{1,253}$)" + LABEL + "(?:\\." + LABEL + ")*");

    /** Checks the values; see {@link #parse(String...)} for what each option accepts. */
    public Options {
        Objects.requireNonNull(host, "host");
        if (!isHost(host)) {
            throw new IllegalArgumentException("host must be an IP address or a host name, not '" + host + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be from 0 to 65535, not " + port);
        }
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(jdbcUser, "jdbcUser");
        Objects.requireNonNull(jdbcPassword, "jdbcPassword");
        Objects.requireNonNull(keyTtl, "keyTtl");
        Objects.requireNonNull(paymentsUrl, "paymentsUrl");
        Objects.requireNonNull(leaseDuration, "leaseDuration");
        Objects.requireNonNull(webhookUrl, "webhookUrl");
        Objects.requireNonNull(webhookSecret, "webhookSecret");
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(broker, "broker");
        paymentsUrl.ifPresent(Options::requireHttpUri);
        webhookUrl.ifPresent(Options::requireHttpUri);
    }

    /**
     * Address {@value #DEFAULT_HOST}, port {@value #DEFAULT_PORT}, the embedded database in
     * {@value #DEFAULT_DATA_DIR}, the default key TTL and lease, no payment provider, webhooks to the demo's
     * own receiver with a generated secret; serving.
     */
    public static Options defaults() {
        return new Options(DEFAULT_HOST, DEFAULT_PORT, Path.of(DEFAULT_DATA_DIR), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), false, false, Optional.empty(), Optional.empty());
    }

    /**
     * These options listening on {@code host}.
     *
     * @throws IllegalArgumentException unless it is an IP address or a host name
     */
    public Options withHost(String host) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                webhookUrl, webhookSecret, roundTrip, temporaryDatabase, claim, broker);
    }

    /** These options with another port. */
    public Options withPort(int port) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                webhookUrl, webhookSecret, roundTrip, temporaryDatabase, claim, broker);
    }

    /** These options with the embedded database in {@code dataDir} (not a temporary one). */
    public Options withDataDir(Path dataDir) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                webhookUrl, webhookSecret, roundTrip, false, claim, broker);
    }

    /** These options on an external database; {@code user} and {@code password} may be {@code null}. */
    public Options withJdbc(String url, String user, String password) {
        return new Options(host, port, dataDir, Optional.of(url), Optional.ofNullable(user),
                Optional.ofNullable(password), keyTtl, paymentsUrl, leaseDuration, webhookUrl, webhookSecret, roundTrip,
                false, claim, broker);
    }

    /** These options with a key TTL as text, such as {@code 30m}. */
    public Options withKeyTtl(String keyTtl) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, Optional.of(keyTtl), paymentsUrl,
                leaseDuration, webhookUrl, webhookSecret, roundTrip, temporaryDatabase, claim, broker);
    }

    /**
     * These options with a payment provider at {@code paymentsUrl}.
     *
     * @throws IllegalArgumentException unless it is an absolute http or https URI
     */
    public Options withPaymentsUrl(URI paymentsUrl) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl,
                Optional.of(Objects.requireNonNull(paymentsUrl, "paymentsUrl")), leaseDuration, webhookUrl,
                webhookSecret, roundTrip, temporaryDatabase, claim, broker);
    }

    /** These options with the lease of {@code POST /payments} as text, such as {@code 2s}. */
    public Options withLeaseDuration(String leaseDuration) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl,
                Optional.of(leaseDuration), webhookUrl, webhookSecret, roundTrip, temporaryDatabase, claim, broker);
    }

    /**
     * These options with {@code post.published} webhooks sent to {@code webhookUrl}.
     *
     * @throws IllegalArgumentException unless it is an absolute http or https URI
     */
    public Options withWebhookUrl(URI webhookUrl) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                Optional.of(Objects.requireNonNull(webhookUrl, "webhookUrl")), webhookSecret, roundTrip,
                temporaryDatabase, claim, broker);
    }

    /** These options with the webhook secret as text, {@code whsec_...}; checked when the server starts. */
    public Options withWebhookSecret(String webhookSecret) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                webhookUrl, Optional.of(Objects.requireNonNull(webhookSecret, "webhookSecret")), roundTrip,
                temporaryDatabase, claim, broker);
    }

    /** These options sending {@code post.published} to {@code broker} instead of as a webhook. */
    public Options withBroker(String broker) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                webhookUrl, webhookSecret, roundTrip, temporaryDatabase, claim, Optional.of(BrokerUri.parse(broker)));
    }

    /** These options with the claim of {@code POST /posts} as text, {@code pessimistic} or {@code optimistic}. */
    public Options withClaim(String claim) {
        return new Options(host, port, dataDir, jdbcUrl, jdbcUser, jdbcPassword, keyTtl, paymentsUrl, leaseDuration,
                webhookUrl, webhookSecret, roundTrip, temporaryDatabase, Optional.of(claim), broker);
    }

    /**
     * Reads command-line arguments. Each option takes one value, as the next argument or after {@code =};
     * an option given twice keeps its last value, as most command-line tools do.
     *
     * {@code --round-trip} takes no value; with it the port is 0 (a free one) unless {@code --port} is given,
     * and the database a temporary one unless {@code --data-dir} or {@code --jdbc-url} is given.
     *
     * @return the options, or empty if {@code --help} (or {@code -h}) was asked for
     * @throws UsageException for an unknown option, a missing or unreadable value, or options that do not
     *     go together ({@code --jdbc-user} without {@code --jdbc-url}, {@code --data-dir} with it,
     *     {@code --webhook-url} with {@code --round-trip} or {@code --broker}); a {@code --broker} value is quoted
     *     with its password redacted
     */
    public static Optional<Options> parse(String... args) {
        Objects.requireNonNull(args, "args");
        String host = DEFAULT_HOST;
        Integer port = null;
        String dataDir = null;
        String jdbcUrl = null;
        String jdbcUser = null;
        String jdbcPassword = null;
        String keyTtl = null;
        URI paymentsUrl = null;
        String leaseDuration = null;
        URI webhookUrl = null;
        String webhookSecret = null;
        String claim = null;
        BrokerUri broker = null;
        boolean roundTrip = false;
        for (int i = 0; i < args.length; i++) {
            String arg = Objects.requireNonNull(args[i], "argument");
            if (arg.equals("--help") || arg.equals("-h")) {
                return Optional.empty();
            }
            int equals = arg.indexOf('=');
            String name = arg.startsWith("--") && equals > 0 ? arg.substring(0, equals) : arg;
            if (FLAGS.contains(name)) {
                if (!name.equals(arg)) {
                    throw new UsageException("Option " + name + " takes no value");
                }
                roundTrip = true;
                continue;
            }
            if (!KNOWN.contains(name)) {
                throw new UsageException(arg.startsWith("-") ? "Unknown option " + name
                        : "Unexpected argument '" + arg + "': options start with --");
            }
            String value;
            if (equals > 0 && arg.startsWith("--")) {
                value = arg.substring(equals + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                throw new UsageException("Option " + name + " needs a value");
            }
            switch (name) {
                case "--host" -> host = parseHost(value);
                case "--port" -> port = parsePort(value);
                case "--data-dir" -> dataDir = requireNonBlank(name, value);
                case "--jdbc-url" -> jdbcUrl = requireNonBlank(name, value);
                case "--jdbc-user" -> jdbcUser = value;
                case "--jdbc-password" -> jdbcPassword = value;
                case "--key-ttl" -> keyTtl = requireNonBlank(name, value);
                case "--payments-url" -> paymentsUrl = parseHttpUri(name, value);
                case "--lease-duration" -> leaseDuration = requireNonBlank(name, value);
                case "--webhook-url" -> webhookUrl = parseHttpUri(name, value);
                case "--webhook-secret" -> webhookSecret = value;
                case "--claim" -> claim = requireNonBlank(name, value);
                case "--broker" -> broker = parseBroker(value);
                default -> throw new IllegalStateException("option " + name + " is known but not handled");
            }
        }
        if (jdbcUrl == null && (jdbcUser != null || jdbcPassword != null)) {
            throw new UsageException((jdbcUser != null ? "--jdbc-user" : "--jdbc-password")
                    + " applies to --jdbc-url, which is missing");
        }
        if (jdbcUrl != null && dataDir != null) {
            // Silently ignoring one of the two would leave the user unsure which database holds the data.
            throw new UsageException("--data-dir is for the embedded database and cannot be combined with --jdbc-url");
        }
        if (roundTrip && webhookUrl != null) {
            // The round trip follows the event into the demo's own receiver; another URL would never show it.
            throw new UsageException("--webhook-url cannot be combined with --round-trip, which sends the event to "
                    + "the demo's own receiver and checks what it recorded");
        }
        if (broker != null && webhookUrl != null) {
            // With a broker, new events go there and not to any webhook URL: one of the two would be ignored.
            throw new UsageException("--webhook-url cannot be combined with --broker, which sends " + PostEvents.PUBLISHED
                    + " to the broker instead of as a webhook");
        }
        return Optional.of(new Options(host, port != null ? port : roundTrip ? 0 : DEFAULT_PORT,
                Path.of(dataDir != null ? dataDir : DEFAULT_DATA_DIR), Optional.ofNullable(jdbcUrl),
                Optional.ofNullable(jdbcUser), Optional.ofNullable(jdbcPassword), Optional.ofNullable(keyTtl),
                Optional.ofNullable(paymentsUrl), Optional.ofNullable(leaseDuration), Optional.ofNullable(webhookUrl),
                Optional.ofNullable(webhookSecret), roundTrip, roundTrip && dataDir == null && jdbcUrl == null, Optional.ofNullable(claim),
                Optional.ofNullable(broker)));
    }

    /** The usage error quotes the value with its password redacted: a command line ends up in shell histories and logs. */
    private static BrokerUri parseBroker(String value) {
        try {
            return BrokerUri.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException("Invalid value '" + BrokerUri.redact(value) + "' for --broker: " + e.getMessage());
        }
    }

    private static URI parseHttpUri(String name, String value) {
        try {
            return requireHttpUri(new URI(value.trim()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new UsageException("Invalid value '" + value + "' for " + name
                    + ": expected an http or https URL such as http://localhost:9090");
        }
    }

    private static URI requireHttpUri(URI uri) {
        Objects.requireNonNull(uri, "url");
        String scheme = uri.getScheme();
        if (!uri.isAbsolute() || uri.getHost() == null
                || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
            throw new IllegalArgumentException("The URL must be an absolute http or https URI, not " + uri);
        }
        return uri;
    }

    /** An IPv6 address may be written in brackets, as in a URL; the brackets are dropped. */
    private static String parseHost(String value) {
        String host = value.trim();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!isHost(host)) {
            throw new UsageException("Invalid value '" + value + "' for --host: expected an IP address such as "
                    + DEFAULT_HOST + " or ::1, or a host name such as localhost");
        }
        return host;
    }

    /**
     * Whether {@code host} is an IP address or a well-formed host name; checked without a name lookup (an IPv6
     * literal is parsed, never resolved), so that the check has no side effects and is the same everywhere.
     */
    private static boolean isHost(String host) {
        if (host.indexOf(':') >= 0) {
            try {
                // In brackets InetAddress accepts only an IPv6 literal and never asks a name server.
                InetAddress.getByName("[" + host + "]");
                return true;
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return HOST_NAME.matcher(host).matches();
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the value, like an out-of-range number.
        }
        throw new UsageException("Invalid value '" + value + "' for --port: expected a number from 0 to 65535");
    }

    private static String requireNonBlank(String name, String value) {
        if (value.isBlank()) {
            throw new UsageException("Option " + name + " needs a non-empty value");
        }
        return value;
    }

    /** Never show a password (given apart or in a URL) or the webhook secret, in logs or test reports. */
    @Override
    public String toString() {
        return "Options[host=" + host + ", port=" + port + ", dataDir=" + (temporaryDatabase ? "(temporary)" : dataDir)
                + ", jdbcUrl=" + jdbcUrl.map(Redaction::redact).orElse("(embedded H2)") + ", jdbcUser="
                + jdbcUser.orElse("(none)") + ", jdbcPassword=" + (jdbcPassword.isPresent() ? "***" : "(none)")
                + ", keyTtl=" + keyTtl.orElse("(default)") + ", paymentsUrl="
                + paymentsUrl.map(URI::toString).orElse("(none)") + ", leaseDuration=" + leaseDuration.orElse("(default)")
                + ", webhookUrl=" + webhookUrl.map(URI::toString)
                .orElse("(own receiver)") + ", webhookSecret=" + (webhookSecret.isPresent() ? "***" : "(generated)")
                + ", roundTrip=" + roundTrip + ", claim=" + claim.orElse("(default)")
                + ", broker=" + broker.map(BrokerUri::toString).orElse("(none)") + "]";
    }

    /**
     * The command line cannot be used: its message says why. {@link PublishingApiServer#main} prints it
     * with {@link #USAGE} and exits with status {@value PublishingApiServer#EXIT_USAGE}.
     */
    public static final class UsageException extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
