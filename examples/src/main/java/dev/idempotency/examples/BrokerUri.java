package dev.idempotency.examples;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * The value of {@code --broker}: which broker {@code post.published} goes to, and where it runs.
 *
 * <ul>
 * <li>{@code amqp://user:password@host:port[/vhost]}: RabbitMQ, given to the library as it is;</li>
 * <li>{@code nats://[user:password@]host:port}: NATS with JetStream, given to the library as it is;</li>
 * <li>{@code kafka://host:port[,host:port...]}: Kafka, whose clients take the bootstrap servers,
 * {@code host:port,...}, without a scheme. {@code kafka://} is the demo's own spelling, so that one option
 * names every broker.</li>
 * </ul>
 *
 * <p>A password in the URI is never shown: {@link #toString()} is the redacted form,
 * {@code amqp://guest:***@127.0.0.1:5672}.
 *
 * @param kind which broker
 * @param uri the URI as given (a credential: never print it, print this record)
 */
record BrokerUri(Kind kind, String uri) {

    /** The brokers the demo can publish to, by URI scheme. */
    enum Kind {
        /** Kafka, {@code kafka://}. */
        KAFKA("kafka", "Kafka"),
        /** RabbitMQ, {@code amqp://}. */
        RABBITMQ("amqp", "RabbitMQ"),
        /** NATS JetStream, {@code nats://}. */
        NATS("nats", "NATS JetStream");

        private final String scheme;
        private final String displayName;

        Kind(String scheme, String displayName) {
            this.scheme = scheme;
            this.displayName = displayName;
        }

        /** The URI scheme, such as {@code amqp}. */
        String scheme() {
            return scheme;
        }

        /** The broker's name as people write it, such as {@code RabbitMQ}. */
        String displayName() {
            return displayName;
        }
    }

    /** What {@code --broker} accepts, for its usage error. */
    static final String EXPECTED = "expected amqp://user:password@host:port (RabbitMQ), nats://host:port "
            + "(NATS JetStream) or kafka://host:port (Kafka)";

    BrokerUri {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(uri, "uri");
    }

    /**
     * Reads a {@code --broker} value.
     *
     * @throws IllegalArgumentException with a message that never quotes the password, unless it is an
     *     {@code amqp}, {@code nats} or {@code kafka} URI with a host and a port
     */
    static BrokerUri parse(String text) {
        Objects.requireNonNull(text, "text");
        String value = text.trim();
        int colon = value.indexOf("://");
        String scheme = colon < 0 ? "" : value.substring(0, colon).toLowerCase(Locale.ROOT);
        for (Kind kind : Kind.values()) {
            if (kind.scheme().equals(scheme)) {
                BrokerUri broker = new BrokerUri(kind, value);
                broker.requireHostsAndPorts();
                return broker;
            }
        }
        throw new IllegalArgumentException(EXPECTED);
    }

    /** Every {@code host:port} of the URI names a host and a port from 1 to 65535. */
    private void requireHostsAndPorts() {
        String rest = uri.substring(uri.indexOf("://") + 3);
        int at = rest.lastIndexOf('@');
        String authorityAndPath = at < 0 ? rest : rest.substring(at + 1);
        int slash = authorityAndPath.indexOf('/');
        String authority = slash < 0 ? authorityAndPath : authorityAndPath.substring(0, slash);
        if (authority.isEmpty() || (kind != Kind.RABBITMQ && slash >= 0 && slash < authorityAndPath.length() - 1)) {
            throw new IllegalArgumentException(EXPECTED);
        }
        // NATS and Kafka take a list of servers; RabbitMQ one.
        String[] servers = kind == Kind.RABBITMQ ? new String[] {authority} : authority.split(",", -1);
        for (String server : servers) {
            try {
                URI hostAndPort = new URI("x://" + server);
                if (hostAndPort.getHost() == null || hostAndPort.getPort() < 1 || hostAndPort.getPort() > 65535
                        || hostAndPort.getRawPath() == null || !hostAndPort.getRawPath().isEmpty()) {
                    throw new IllegalArgumentException(EXPECTED);
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(EXPECTED);
            }
        }
    }

    /** Kafka's bootstrap servers, {@code host:port,...}: the URI without its scheme (Kafka only). */
    String bootstrapServers() {
        if (kind != Kind.KAFKA) {
            throw new IllegalStateException("bootstrap servers are Kafka's, not " + kind.displayName() + "'s");
        }
        String servers = uri.substring(uri.indexOf("://") + 3);
        return servers.endsWith("/") ? servers.substring(0, servers.length() - 1) : servers;
    }

    /** {@code text} with the password of a {@code user:password@} part replaced by {@code ***}. */
    static String redact(String text) {
        int scheme = text.indexOf("://");
        int at = text.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return text;
        }
        String userInfo = text.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        // nats://token@host: a token alone is a credential too.
        String user = colon < 0 ? (text.startsWith("nats") ? "***" : userInfo) : userInfo.substring(0, colon) + ":***";
        return text.substring(0, scheme + 3) + user + text.substring(at);
    }

    /** The URI with its password (or NATS token) shown as {@code ***}. */
    @Override
    public String toString() {
        return redact(uri);
    }
}
