package dev.idempotency.webhooks.internal;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Collects at most a fixed number of bytes of a response body and then stops reading, so a receiver that
 * answers with a huge (or endless) body costs the sender no more than the limit. A body that fits is read to
 * its end, which lets the connection be reused.
 */
public final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

    private final int limit;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    /** A subscriber keeping the first {@code limit} bytes. */
    public BoundedBody(int limit) {
        this.limit = limit;
    }

    /** A body handler whose every response is read through a new {@link BoundedBody} of {@code limit} bytes. */
    public static HttpResponse.BodyHandler<byte[]> handler(int limit) {
        return info -> new BoundedBody(limit);
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer item : items) {
            int room = limit - bytes.size();
            int take = Math.min(room, item.remaining());
            byte[] chunk = new byte[take];
            item.get(chunk);
            bytes.write(chunk, 0, take);
            if (item.hasRemaining()) {
                result.complete(bytes.toByteArray());
                subscription.cancel();
                return;
            }
        }
    }

    @Override
    public void onError(Throwable throwable) {
        // What was read before the failure is still worth reporting; the status decides the outcome.
        result.complete(bytes.toByteArray());
    }

    @Override
    public void onComplete() {
        result.complete(bytes.toByteArray());
    }
}
