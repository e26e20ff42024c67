package dev.idempotency.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real HTTP/1.1 server on a loopback socket whose every answer is scripted, including the ones a real
 * network produces and an ordinary test server cannot: an answer that never comes (the connection closed
 * after the request was read, the classic lost response) and one that comes too late. One request per
 * connection ({@code Connection: close}), so each attempt of the client is one connection here.
 */
final class ScriptedServer implements AutoCloseable {

    /** A request as received, with the time it was read. */
    record Received(String method, String path, Map<String, String> headers, String body, long nanos) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** What the server does with a request. */
    sealed interface Action permits Answer, Drop, Stall {
    }

    /** Answers with this status, headers and body. */
    record Answer(int status, Map<String, String> headers, String body) implements Action {
    }

    /** Closes the connection without answering, after the request was read. */
    record Drop() implements Action {
    }

    /** Answers nothing for this long, then closes the connection. */
    record Stall(Duration howLong) implements Action {
    }

    static Answer answer(int status, String... headersAndBody) {
        Map<String, String> headers = new LinkedHashMap<>();
        int i = 0;
        for (; i + 1 < headersAndBody.length; i += 2) {
            headers.put(headersAndBody[i], headersAndBody[i + 1]);
        }
        return new Answer(status, headers, i < headersAndBody.length ? headersAndBody[i] : "");
    }

    private final ServerSocket socket;
    private final ExecutorService connections = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "scripted-server");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Function<Received, Action> script;

    /** A server answering request {@code n} (from 0) with {@code script.apply(request)}. */
    ScriptedServer(Function<Received, Action> script) throws IOException {
        this.script = script;
        this.socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        connections.execute(this::accept);
    }

    /** A server answering its requests in turn with {@code actions}, the last one repeated. */
    static ScriptedServer inTurn(Action... actions) throws IOException {
        List<Action> list = List.of(actions);
        int[] next = {0};
        return new ScriptedServer(request -> {
            synchronized (next) {
                return list.get(Math.min(next[0]++, list.size() - 1));
            }
        });
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
    }

    List<Received> received() {
        return new ArrayList<>(received);
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket connection = socket.accept();
                connections.execute(() -> serve(connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket connection) {
        try (connection) {
            InputStream in = connection.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            Received request = new Received(requestLine[0], requestLine[1], headers, body, System.nanoTime());
            received.add(request);
            Action action = script.apply(request);
            if (action instanceof Stall stall) {
                Thread.sleep(stall.howLong().toMillis());
                return;
            }
            if (action instanceof Answer answer) {
                byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
                StringBuilder out = new StringBuilder("HTTP/1.1 " + answer.status() + " Scripted\r\n");
                answer.headers().forEach((name, value) -> out.append(name).append(": ").append(value).append("\r\n"));
                out.append("Content-Length: ").append(bytes.length).append("\r\nConnection: close\r\n\r\n");
                OutputStream stream = connection.getOutputStream();
                stream.write(out.toString().getBytes(StandardCharsets.ISO_8859_1));
                stream.write(bytes);
                stream.flush();
            }
            // Drop: the connection closes here with the request processed and no answer sent.
        } catch (SocketException e) {
            // The client gave up on the connection (its timeout): nothing to answer.
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 4);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
        connections.shutdownNow();
        try {
            connections.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
