package dev.idempotency.examples;

import java.time.Duration;
import java.util.Locale;

/**
 * What the demo tells a client whose request Jetty itself refused: not valid HTTP, too large, too slow, or
 * with an ambiguous path. Those refusals happen before any filter or handler runs (in the HTTP parser, or
 * in Jetty's checks of the request's URI), so nothing of the request ran and no idempotency key was used.
 *
 * <p>The detail is chosen here from the status and a few words of Jetty's reason; the reason itself is never
 * passed on. It can quote what the client sent (a header's bad character, the other {@code Host}), and
 * nothing a client sent belongs in the answer. The limits the details name are the server's own settings
 * ({@link ServerLimits}).
 */
final class ContainerRefusals {

    private static final String PREFIX = "urn:idempotency-example:problem:";

    /** A refusal as a problem: its {@code type}, {@code title} and {@code detail}. */
    record Refusal(String type, String title, String detail) {
    }

    private final ServerLimits limits;

    ContainerRefusals(ServerLimits limits) {
        this.limits = limits;
    }

    /**
     * The problem for a refusal with {@code status}; {@code reason} is Jetty's own explanation, or
     * {@code null}, read only to tell which part of the request was wrong.
     */
    Refusal describe(int status, String reason) {
        String why = reason == null ? "" : reason.toLowerCase(Locale.ROOT);
        return switch (status) {
            case 400 -> badRequest(why);
            case 408 -> new Refusal(PREFIX + "request-timeout", "Request timeout",
                    "The request arrived too slowly: the server reads a request body at no less than "
                            + limits.minRequestDataRate() + " bytes a second and waits at most "
                            + seconds(limits.idleTimeout()) + " for the next bytes of a request. Nothing was run; "
                            + "send the request again.");
            case 413 -> new Refusal(PREFIX + "request-too-large", "Request too large",
                    "The request is larger than the server accepts. Nothing was run.");
            case 414 -> new Refusal(PREFIX + "uri-too-long", "URI too long",
                    "The request's URI (its path and query) is longer than the server reads: the request line "
                            + "and the headers together may have at most " + limits.requestHeaderBytes()
                            + " bytes. Nothing was run.");
            case 431 -> new Refusal(PREFIX + "headers-too-large", "Request header fields too large",
                    "The request's header section is larger than the server reads: at most "
                            + limits.requestHeaderBytes() + " bytes, the request line included. Nothing was run.");
            case 505 -> new Refusal(PREFIX + "http-version-not-supported", "HTTP version not supported",
                    "The request's HTTP version is not one the server speaks: HTTP/1.0 and HTTP/1.1. Nothing was run.");
            default -> status >= 500
                    ? new Refusal(PREFIX + "server-error", "Server error", "The server could not serve the request "
                            + "(HTTP " + status + ") before it reached a handler. Nothing was run, so it is safe to "
                            + "send it again.")
                    : new Refusal(PREFIX + "refused-by-server", "Request refused",
                            "The server refused the request (HTTP " + status + ") before any handler saw it. "
                                    + "Nothing was run.");
        };
    }

    /**
     * A 400, told apart by the words of Jetty's reason ("Invalid Content-Length Value", "Ambiguous URI empty
     * segment", "Unable to parse URI query", "Authority!=Host", "Illegal character CNTL=0x1", ...). A reason not
     * recognised gets the general detail, which is true of every 400 Jetty raises.
     */
    private static Refusal badRequest(String why) {
        if (why.contains("content-length") || why.contains("transfer-encoding")) {
            return new Refusal(PREFIX + "bad-body-length", "Unclear body length",
                    "The request does not say unambiguously where its body ends: its Content-Length is not one "
                            + "valid number of bytes, or there are two, or it comes with a Transfer-Encoding, or "
                            + "chunked is not the last transfer coding. Nothing was run.");
        }
        if (why.contains("ambiguous") || why.contains("suspicious")) {
            return new Refusal(PREFIX + "ambiguous-path", "Ambiguous path",
                    "The request's path is ambiguous: an encoded '/' or '\\', a '.' or '..' segment written with "
                            + "escapes, an empty segment, or an encoded control character, which servers and proxies "
                            + "read differently. It is refused rather than guessed at; nothing was run.");
        }
        if (why.contains("query")) {
            return new Refusal(PREFIX + "malformed-query", "Malformed query",
                    "The request's query cannot be decoded: a '%' that is not followed by two hexadecimal digits, "
                            + "or escapes that are not UTF-8. Nothing was run.");
        }
        if (why.contains("utf-8") || why.contains("uri") || why.contains("path")) {
            return new Refusal(PREFIX + "malformed-uri", "Malformed URI",
                    "The request's target is not a path the server can decode: escapes that are not UTF-8, or "
                            + "not a path at all. Nothing was run.");
        }
        if (why.contains("host") || why.contains("authority")) {
            return new Refusal(PREFIX + "invalid-host", "Invalid Host",
                    "The request's Host header is missing or repeated, or does not match the host in its request "
                            + "target. HTTP/1.1 requires exactly one. Nothing was run.");
        }
        if (why.contains("character") || why.contains("header") || why.contains("field")) {
            return new Refusal(PREFIX + "malformed-header", "Malformed request line or header",
                    "The request line or a header contains a character HTTP does not allow there: a control "
                            + "character, or a space or separator in a method or a header name. Nothing was run.");
        }
        return new Refusal(PREFIX + "malformed-request", "Malformed request",
                "The request is not valid HTTP/1.1, so the server could not read it. Nothing was run.");
    }

    private static String seconds(Duration duration) {
        long seconds = duration.toSeconds();
        return seconds == 1 ? "1 second" : seconds + " seconds";
    }
}
