package dev.idempotency;

import dev.idempotency.adapter.IncomingRequest;
import dev.idempotency.adapter.RequestBodyTooLargeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-made {@link IncomingRequest}: every part settable, every call counted. {@link #readBody} behaves
 * as an adapter must: it throws {@link RequestBodyTooLargeException} for a body over the limit.
 */
public final class FakeRequest implements IncomingRequest {

    private String method = "POST";
    private String path = "/orders";
    private String routedPath;
    private String contentEncoding;
    private String rawQuery;
    private String contentType = "application/json";
    private List<String> keyHeaders = List.of("\"key-1\"");
    private Optional<String> scope = Optional.of("client-a");
    private String scopeSource = "the X-Api-Key header";
    private byte[] body = "{\"amount\":10}".getBytes(StandardCharsets.UTF_8);
    private IOException bodyFailure;
    private volatile int lastMaxBytes = -1;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    public static FakeRequest post() {
        return new FakeRequest();
    }

    public FakeRequest method(String value) {
        method = value;
        return this;
    }

    public FakeRequest path(String value) {
        path = value;
        return this;
    }

    /** The path the request is routed on; by default the same as {@link #path(String)}. */
    public FakeRequest routedPath(String value) {
        routedPath = value;
        return this;
    }

    public FakeRequest contentEncoding(String value) {
        contentEncoding = value;
        return this;
    }

    public FakeRequest query(String value) {
        rawQuery = value;
        return this;
    }

    public FakeRequest contentType(String value) {
        contentType = value;
        return this;
    }

    public FakeRequest key(String headerValue) {
        keyHeaders = List.of(headerValue);
        return this;
    }

    public FakeRequest keys(String... headerValues) {
        keyHeaders = List.of(headerValues);
        return this;
    }

    public FakeRequest scope(String value) {
        scope = Optional.ofNullable(value);
        return this;
    }

    public FakeRequest scopeSource(String value) {
        scopeSource = value;
        return this;
    }

    public FakeRequest body(String value) {
        body = value.getBytes(StandardCharsets.UTF_8);
        return this;
    }

    public FakeRequest body(byte[] value) {
        body = value.clone();
        return this;
    }

    public FakeRequest failBodyWith(IOException failure) {
        bodyFailure = failure;
        return this;
    }

    /** How often {@code name} (a method of {@link IncomingRequest}) was called. */
    public int calls(String name) {
        AtomicInteger count = calls.get(name);
        return count == null ? 0 : count.get();
    }

    /** The most calls any one method received. */
    public int maxCallsOfAnyMethod() {
        return calls.values().stream().mapToInt(AtomicInteger::get).max().orElse(0);
    }

    public int lastMaxBytes() {
        return lastMaxBytes;
    }

    private void count(String name) {
        calls.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public String method() {
        count("method");
        return method;
    }

    @Override
    public String path() {
        count("path");
        return path;
    }

    @Override
    public String routedPath() {
        count("routedPath");
        return routedPath != null ? routedPath : path;
    }

    @Override
    public String contentEncoding() {
        count("contentEncoding");
        return contentEncoding;
    }

    @Override
    public String rawQuery() {
        count("rawQuery");
        return rawQuery;
    }

    @Override
    public String contentType() {
        count("contentType");
        return contentType;
    }

    @Override
    public List<String> idempotencyKeyHeaders() {
        count("idempotencyKeyHeaders");
        return keyHeaders;
    }

    @Override
    public Optional<String> scope() {
        count("scope");
        return scope;
    }

    @Override
    public String scopeSource() {
        count("scopeSource");
        return scopeSource;
    }

    @Override
    public byte[] readBody(int maxBytes) throws IOException {
        count("readBody");
        lastMaxBytes = maxBytes;
        if (bodyFailure != null) {
            throw bodyFailure;
        }
        if (body.length > maxBytes) {
            throw new RequestBodyTooLargeException(maxBytes, body.length);
        }
        return body.clone();
    }
}
