package dev.idempotency.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HTTP/1.1 request written as raw bytes on a socket, for header values HttpClient refuses (control
 * characters, non-ASCII bytes) and for watching exactly when response bytes arrive. Always sends
 * {@code Host}, {@code Connection: close} and, with a body, {@code Content-Length}, plus
 * {@code X-Api-Key: client-a}.
 */
final class RawRequest {

    private final int port;
    private final String method;
    private final String path;
    private final List<byte[]> headerLines = new ArrayList<>();
    private byte[] body = new byte[0];

    RawRequest(int port, String method, String path) {
        this.port = port;
        this.method = method;
        this.path = path;
        header(JettyApp.API_KEY_HEADER, JettyApp.DEFAULT_API_KEY);
    }

    /** A header line whose value is written as UTF-8 bytes, whatever they are. */
    RawRequest header(String name, String value) {
        return header(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A header line with exactly these value bytes. */
    RawRequest header(String name, byte[] value) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.writeBytes((name + ": ").getBytes(StandardCharsets.US_ASCII));
        line.writeBytes(value);
        headerLines.add(line.toByteArray());
        return this;
    }

    RawRequest json(String json) {
        header("Content-Type", "application/json");
        body = json.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    /** Sends the request and reads the whole response. */
    Reply send() throws IOException {
        try (Exchange exchange = open()) {
            return exchange.read();
        }
    }

    /** Sends the request and leaves the response to be read. */
    Exchange open() throws IOException {
        Socket socket = new Socket("localhost", port);
        try {
            socket.setSoTimeout(20_000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: localhost:" + port
                    + "\r\nConnection: close\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte[] line : headerLines) {
                out.writeBytes(line);
                out.writeBytes(new byte[] {'\r', '\n'});
            }
            if (body.length > 0) {
                out.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes(new byte[] {'\r', '\n'});
            out.writeBytes(body);
            socket.getOutputStream().write(out.toByteArray());
            socket.getOutputStream().flush();
            return new Exchange(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A sent request whose response is read from the socket. */
    static final class Exchange implements AutoCloseable {

        private final Socket socket;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        private Exchange(Socket socket) {
            this.socket = socket;
        }

        /**
         * Waits {@code wait} for response bytes.
         *
         * @return how many bytes arrived within that time (0 when none did)
         */
        int bytesArrivingWithin(Duration wait) throws IOException {
            int before = received.size();
            socket.setSoTimeout((int) wait.toMillis());
            try {
                byte[] buffer = new byte[8192];
                int n = socket.getInputStream().read(buffer);
                if (n > 0) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException expected) {
                // Nothing arrived in time.
            } finally {
                socket.setSoTimeout(20_000);
            }
            return received.size() - before;
        }

        /** Reads the rest of the response (the server closes the connection after it). */
        Reply read() throws IOException {
            InputStream in = socket.getInputStream();
            in.transferTo(received);
            return parse(received.toByteArray());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static Reply parse(byte[] response) {
        int headEnd = indexOf(response, new byte[] {'\r', '\n', '\r', '\n'}, 0);
        if (headEnd < 0) {
            throw new AssertionError("Incomplete HTTP response: " + new String(response, StandardCharsets.ISO_8859_1));
        }
        String head = new String(response, 0, headEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).trim(), n -> new ArrayList<>())
                    .add(lines[i].substring(colon + 1).trim());
        }
        byte[] rest = java.util.Arrays.copyOfRange(response, headEnd + 4, response.length);
        boolean chunked = headers.entrySet().stream().anyMatch(e -> e.getKey().equalsIgnoreCase("Transfer-Encoding")
                && e.getValue().stream().anyMatch(v -> v.equalsIgnoreCase("chunked")));
        return new Reply(status, headers, chunked ? dechunk(rest) : rest);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (true) {
            int lineEnd = indexOf(chunked, new byte[] {'\r', '\n'}, pos);
            String sizeText = new String(chunked, pos, lineEnd - pos, StandardCharsets.US_ASCII).split(";")[0].trim();
            int size = Integer.parseInt(sizeText, 16);
            if (size == 0) {
                return out.toByteArray();
            }
            out.write(chunked, lineEnd + 2, size);
            pos = lineEnd + 2 + size + 2;
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
