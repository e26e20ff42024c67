package dev.idempotency.it.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between the application and its database, to break the network on purpose: it listens on
 * an ephemeral port of the loopback interface and forwards every connection to the upstream address.
 * <ul>
 * <li>{@link #cutAll()} resets every open connection, both sides, as a network failure would: the
 * application's next statement on them fails, and the database ends their sessions (rolling back their
 * transactions).</li>
 * <li>{@link #refuseNew()} stops listening, so new connections are refused (the database is "down"), and
 * {@link #restore()} listens again on the same port.</li>
 * </ul>
 */
final class TcpProxy implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService threads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "tcp-proxy");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile ServerSocket listener;

    private TcpProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        ServerSocket first = new ServerSocket();
        first.setReuseAddress(true);
        first.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.port = first.getLocalPort();
        listen(first);
    }

    /** A proxy to {@code host:port}, listening at once. */
    static TcpProxy to(String host, int port) throws IOException {
        return new TcpProxy(new InetSocketAddress(host, port));
    }

    /** The port the application connects to. */
    int port() {
        return port;
    }

    /** Connections accepted and forwarded so far. */
    int accepted() {
        return accepted.get();
    }

    /** Resets every open connection (RST on both sides), as a failed network does. */
    void cutAll() {
        for (Socket socket : open) {
            reset(socket);
        }
    }

    /** Stops accepting: new connections are refused until {@link #restore()}. Open ones are left alone. */
    synchronized void refuseNew() throws IOException {
        ServerSocket current = listener;
        listener = null;
        if (current != null) {
            current.close();
        }
    }

    /** Listens again, on the same port. */
    synchronized void restore() throws IOException {
        if (listener != null) {
            return;
        }
        ServerSocket again = new ServerSocket();
        again.setReuseAddress(true);
        again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        listen(again);
    }

    private synchronized void listen(ServerSocket socket) {
        listener = socket;
        threads.execute(() -> accept(socket));
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                return; // closed by refuseNew() or close()
            }
            // Open from the moment it is accepted, before the upstream connection is made: a cutAll() while
            // it is made resets it too. And a connection accepted just before refuseNew() closed the listener is
            // reset here, unless it is open already when the cutAll() that follows refuseNew() looks. Without
            // both, a connection the pool was opening when the database went "down" survived the outage.
            Socket server = new Socket();
            open.add(client);
            open.add(server);
            if (socket.isClosed()) {
                reset(client);
                close(server);
                return;
            }
            try {
                server.connect(upstream, 5000);
            } catch (IOException e) {
                reset(client);
                close(server);
                continue;
            }
            if (client.isClosed() || server.isClosed()) {
                close(server);
                continue;
            }
            accepted.incrementAndGet();
            threads.execute(() -> pump(client, server));
            threads.execute(() -> pump(server, client));
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other direction, or cutAll(), closed it.
        } finally {
            close(from);
            close(to);
        }
    }

    private void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0); // close with RST rather than an orderly FIN
        } catch (SocketException e) {
            // Already closed.
        }
        close(socket);
    }

    private void close(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more to do.
        }
    }

    @Override
    public void close() throws IOException {
        refuseNew();
        cutAll();
        threads.shutdownNow();
    }
}
