package dev.idempotency.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP/1.1 exchange over a plain socket, for requests that {@link java.net.http.HttpClient} refuses to
 * send (malformed headers, a bad {@code Content-Length}, an ambiguous path): writes the bytes as given, then
 * reads one response. Every read has a timeout, so a server that never answers fails the test instead of
 * hanging it.
 */
final class RawHttp {

    /** The longest a test waits for a response. */
    static final Duration TIMEOUT = Duration.ofSeconds(15);

    private RawHttp() {
    }

    /** A response as it came: status code, headers (names in lower case, the last value kept) and body. */
    record Response(int status, Map<String, String> headers, byte[] body) {

        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + text();
        }
    }

    /** Sends {@code request} (ISO-8859-1, so any byte value can be written) to the server and reads one response. */
    static Response exchange(URI server, String request) throws IOException {
        return exchange(server, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    static Response exchange(URI server, byte[] request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(server.getHost().replace("[", "").replace("]", ""), server.getPort()),
                    (int) TIMEOUT.toMillis());
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            return read(socket.getInputStream());
        }
    }

    /** Reads one response: its head up to the empty line, then a body of {@code Content-Length} or to the end. */
    static Response read(InputStream in) throws IOException {
        String head = readHead(in);
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP response: " + head);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body;
        String length = headers.get("content-length");
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = readChunked(in);
        } else {
            body = in.readAllBytes();
        }
        return new Response(Integer.parseInt(statusLine[1]), headers, body);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed before a whole response head arrived: "
                        + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : b == end[0] ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = readLine(in);
            int length = Integer.parseInt(size.split(";", 2)[0].trim(), 16);
            if (length == 0) {
                readLine(in);
                return body.toByteArray();
            }
            body.write(in.readNBytes(length));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
