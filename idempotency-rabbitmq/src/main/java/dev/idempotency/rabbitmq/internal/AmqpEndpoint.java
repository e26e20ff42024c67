package dev.idempotency.rabbitmq.internal;

import com.rabbitmq.client.ConnectionFactory;
import dev.idempotency.IdempotencyConfigException;
import dev.idempotency.jdbc.Redaction;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a publisher or consumer connects: a {@link ConnectionFactory} made from an {@code amqp://} URI or copied
 * from the application's, and how it is described in messages (never with its password).
 */
public final class AmqpEndpoint {

    private final ConnectionFactory factory;

    private AmqpEndpoint(ConnectionFactory factory) {
        this.factory = factory;
    }

    /**
     * Checks a bound on a network call or a wait between reconnections, {@code setting}: from 1 ms to 10 minutes.
     *
     * @param example a value to suggest in the message, such as {@code PT10S}
     * @throws IdempotencyConfigException naming the setting and the value otherwise
     */
    public static Duration requireNetworkBound(String setting, Duration value, String example) {
        Objects.requireNonNull(value, setting);
        if (value.toMillis() < 1 || value.compareTo(Duration.ofMinutes(10)) > 0) {
            throw IdempotencyConfigException.invalid(setting, value, "a duration from 1ms to 10m, such as " + example);
        }
        return value;
    }

    /**
     * The endpoint of an {@code amqp://} URI.
     *
     * @param setting the builder setting's name, for the error
     * @throws IdempotencyConfigException naming the setting and the URI without its password, if the URI is not an
     *     {@code amqp://} URI (an {@code amqps://} one included: TLS needs a factory configured for it)
     */
    public static AmqpEndpoint ofUri(String setting, String uri) {
        Objects.requireNonNull(uri, setting);
        String shown = Redaction.redact(uri);
        if (uri.toLowerCase(Locale.ROOT).startsWith("amqps:")) {
            throw IdempotencyConfigException.invalid(setting, shown, "an amqp:// URI: for TLS, configure a "
                    + "ConnectionFactory (useSslProtocol with your SSLContext, enableHostnameVerification) and pass it "
                    + "to connectionFactory, since an amqps:// URI alone would trust every certificate");
        }
        if (!uri.toLowerCase(Locale.ROOT).startsWith("amqp://")) {
            throw IdempotencyConfigException.invalid(setting, shown,
                    "an amqp:// URI such as amqp://user:password@host:5672/vhost");
        }
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(uri);
        } catch (Exception e) {
            throw IdempotencyConfigException.invalid(setting, shown,
                    "an amqp:// URI such as amqp://user:password@host:5672/vhost ("
                            + Redaction.redact(String.valueOf(e.getMessage())) + ")");
        }
        return new AmqpEndpoint(factory);
    }

    /** The endpoint of a copy of {@code factory}: the application's stays as it was. */
    public static AmqpEndpoint ofFactory(ConnectionFactory factory) {
        return new AmqpEndpoint(Objects.requireNonNull(factory, "connectionFactory").clone());
    }

    /**
     * A factory for new connections, with the given bounds and recovery, leaving this endpoint's own as it is.
     *
     * @param timeout bounds connecting, the handshake, every channel operation and the close
     * @param recoveryInterval how long automatic recovery waits between attempts, or {@code null} for none
     */
    public ConnectionFactory factory(Duration timeout, Duration recoveryInterval) {
        ConnectionFactory copy = factory.clone();
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        copy.setConnectionTimeout(millis);
        copy.setHandshakeTimeout(millis);
        copy.setChannelRpcTimeout(millis);
        copy.setShutdownTimeout(millis);
        copy.setAutomaticRecoveryEnabled(recoveryInterval != null);
        copy.setTopologyRecoveryEnabled(recoveryInterval != null);
        if (recoveryInterval != null) {
            copy.setNetworkRecoveryInterval(recoveryInterval.toMillis());
        }
        return copy;
    }

    /** {@code amqp://user@host:port/vhost}: no password. */
    public String describe() {
        String vhost = factory.getVirtualHost();
        return (factory.isSSL() ? "amqps" : "amqp") + "://" + factory.getUsername() + "@" + factory.getHost() + ":"
                + factory.getPort() + "/" + ("/".equals(vhost) ? "" : vhost);
    }

    @Override
    public String toString() {
        return describe();
    }
}
