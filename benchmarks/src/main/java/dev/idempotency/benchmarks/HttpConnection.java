package dev.idempotency.benchmarks;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection to the server on loopback, for the load generator.
 *
 * <p>A deliberately small client: it writes a request in one system call and reads the status, the two
 * headers the benchmark checks and the body. On two cores every cycle the load generator spends is taken
 * from the server it measures, and the JDK's {@code java.net.http.HttpClient} spends several times more
 * per request (its selector thread, futures and header maps); this client keeps the measured cost the
 * server's. It speaks only what Jetty answers here: {@code Content-Length} or chunked bodies.
 */
final class HttpConnection implements AutoCloseable {

    /** What the benchmark needs to know of a response. */
    record Response(int status, boolean replayed, String bodyStart) {
    }

    private static final byte[] CRLF = {'\r', '\n'};

    private final InetSocketAddress address;
    private final byte[] line = new byte[8192];
    private final ByteArrayOutputStream request = new ByteArrayOutputStream(1024);
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    HttpConnection(int port) {
        this.address = new InetSocketAddress("127.0.0.1", port);
    }

    /**
     * Sends {@code POST path} with a JSON body, the client header, and the idempotency key when
     * {@code key} is not null, and reads the whole response.
     */
    Response post(String path, String client, String key, byte[] body) throws IOException {
        request.reset();
        ascii("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + BenchServer.CLIENT_HEADER + ": " + client + "\r\n"
                + (key == null ? "" : "Idempotency-Key: " + key + "\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n");
        request.write(body, 0, body.length);
        if (socket == null) {
            connect();
        }
        out.write(request.toByteArray());
        out.flush();
        return readResponse();
    }

    private void ascii(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        request.write(bytes, 0, bytes.length);
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, 5000);
        socket.setSoTimeout(60_000);
        in = new BufferedInputStream(socket.getInputStream(), 16384);
        out = socket.getOutputStream();
    }

    private Response readResponse() throws IOException {
        String statusLine = readLine();
        if (statusLine.length() < 12 || !statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("Not an HTTP/1.1 status line: '" + statusLine + "'");
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        long contentLength = -1;
        boolean chunked = false;
        boolean replayed = false;
        boolean close = false;
        String header;
        while (!(header = readLine()).isEmpty()) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = header.substring(0, colon).trim();
            String value = header.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                contentLength = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = value.equalsIgnoreCase("chunked");
            } else if (name.equalsIgnoreCase("Idempotent-Replayed")) {
                replayed = value.equalsIgnoreCase("true");
            } else if (name.equalsIgnoreCase("Connection")) {
                close = value.equalsIgnoreCase("close");
            }
        }
        ByteArrayOutputStream start = new ByteArrayOutputStream(256);
        if (chunked) {
            long size;
            while ((size = Long.parseLong(readLine().split(";")[0].trim(), 16)) > 0) {
                readBody(size, start);
                readLine();
            }
            while (!readLine().isEmpty()) {
                // trailers: none expected, skipped
            }
        } else if (contentLength > 0) {
            readBody(contentLength, start);
        } else if (contentLength < 0) {
            throw new IOException("Response " + status + " has neither Content-Length nor chunked encoding");
        }
        if (close) {
            close();
        }
        return new Response(status, replayed, start.toString(StandardCharsets.UTF_8));
    }

    /** Reads {@code length} body bytes, keeping the first 160 (for error messages). */
    private void readBody(long length, ByteArrayOutputStream start) throws IOException {
        long left = length;
        while (left > 0) {
            int n = in.read(line, 0, (int) Math.min(line.length, left));
            if (n < 0) {
                throw new EOFException("Connection closed with " + left + " body bytes unread");
            }
            if (start.size() < 160) {
                start.write(line, 0, Math.min(n, 160 - start.size()));
            }
            left -= n;
        }
    }

    private String readLine() throws IOException {
        int length = 0;
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new EOFException("Connection closed by the server");
            }
            if (length == line.length) {
                throw new IOException("Response line longer than " + line.length + " bytes");
            }
            line[length++] = (byte) b;
        }
        if (length > 0 && line[length - 1] == CRLF[0]) {
            length--;
        }
        return new String(line, 0, length, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Closing a loopback socket only releases it.
            }
            socket = null;
        }
    }
}
