package dev.idempotency.nats.internal;

import dev.idempotency.IdempotencyConfigException;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Server URLs as the builders take them ({@code nats://host:4222}, several separated by commas, with an optional
 * {@code user:password@} or {@code token@}), shown only with their secrets hidden, and the connections this
 * module opens from them.
 */
public final class NatsConnections {

    /** What a hidden secret is replaced by. */
    public static final String MASK = "***";

    /** How long to wait between reconnection attempts of a connection this module opened. */
    public static final Duration RECONNECT_WAIT = Duration.ofMillis(500);

    private static final Set<String> SCHEMES = Set.of("nats", "tls", "ws", "wss", "opentls");
    private static final Pattern USER_INFO = Pattern.compile("(?i)([a-z][a-z0-9+.-]*://)([^@/\\s,]+)@");

    private NatsConnections() {
    }

    /**
     * {@code urls} with every password and token hidden: {@code nats://app:***@host:4222}, {@code nats://***@host};
     * {@code null} stays {@code null}.
     */
    public static String redact(String urls) {
        if (urls == null) {
            return null;
        }
        Matcher matcher = USER_INFO.matcher(urls);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String userInfo = matcher.group(2);
            int colon = userInfo.indexOf(':');
            String shown = colon >= 0 ? userInfo.substring(0, colon) + ":" + MASK : MASK;
            matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(1) + shown + "@"));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /**
     * Checks {@code urls}: one or more comma-separated {@code nats://}, {@code tls://}, {@code ws://} or
     * {@code wss://} URLs with a host.
     *
     * @throws IdempotencyConfigException naming {@code setting} and the redacted value otherwise
     */
    public static String requireUrls(String setting, String urls) {
        Objects.requireNonNull(urls, setting);
        String[] parts = urls.split(",", -1);
        for (String part : parts) {
            String url = part.trim();
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw IdempotencyConfigException.invalid(setting, redact(urls),
                        "comma-separated server URLs such as nats://127.0.0.1:4222");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!SCHEMES.contains(scheme) || uri.getHost() == null) {
                throw IdempotencyConfigException.invalid(setting, redact(urls),
                        "comma-separated server URLs such as nats://127.0.0.1:4222 (schemes nats, tls, ws, wss)");
            }
        }
        return urls;
    }

    /**
     * Connects to {@code urls}; once connected, the connection reconnects by itself for as long as it is open.
     *
     * @param name the connection's name, as the server shows it
     * @param timeout the bound on connecting, and on each request
     * @throws UncheckedIOException if no server answered, with the URLs redacted and no cause that could quote
     *     them
     * @throws IllegalStateException if the thread was interrupted (its interrupt status is kept)
     */
    public static Connection connect(String urls, String name, Duration timeout) {
        Options options = Options.builder()
                .server(urls)
                .connectionName(name)
                .connectionTimeout(timeout)
                .socketWriteTimeout(timeout.plusMillis(1))
                .maxReconnects(-1)
                .reconnectWait(RECONNECT_WAIT)
                .noEcho()
                .build();
        try {
            return Nats.connect(options);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("Could not connect to NATS at " + redact(urls) + " within "
                    + timeout.toMillis() + " ms: " + redact(String.valueOf(e.getMessage()))));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while connecting to NATS at " + redact(urls));
        }
    }

    /**
     * Checks that {@code duration} is positive.
     *
     * @throws IdempotencyConfigException naming {@code setting} otherwise
     */
    public static Duration requirePositive(String setting, Duration duration) {
        Objects.requireNonNull(duration, setting);
        if (duration.isNegative() || duration.isZero()) {
            throw IdempotencyConfigException.invalid(setting, duration, "a positive duration, such as PT5S");
        }
        return duration;
    }
}
