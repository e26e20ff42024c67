package dev.idempotency.servlet.internal;

import dev.idempotency.adapter.MediaTypes;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.Part;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request as the handler sees it: its body is the one the filter already read and fingerprinted,
 * served again from memory. Form parameters are parsed from that body, since the container's own input
 * stream is spent. Asynchronous processing is refused, because the outcome must be stored in the
 * request's transaction before the response is sent.
 */
public final class CachedBodyRequest extends HttpServletRequestWrapper {

    private final byte[] body;
    private ServletInputStream inputStream;
    private BufferedReader reader;
    private Map<String, String[]> formParameters;

    public CachedBodyRequest(HttpServletRequest request, byte[] body) {
        super(request);
        this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
        if (reader != null) {
            throw new IllegalStateException("getReader() has already been called for this request");
        }
        if (inputStream == null) {
            inputStream = new CachedInputStream(body);
        }
        return inputStream;
    }

    @Override
    public BufferedReader getReader() throws UnsupportedEncodingException {
        if (inputStream != null) {
            throw new IllegalStateException("getInputStream() has already been called for this request");
        }
        if (reader == null) {
            reader = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), bodyCharset()));
        }
        return reader;
    }

    @Override
    public int getContentLength() {
        return body.length;
    }

    @Override
    public long getContentLengthLong() {
        return body.length;
    }

    // ---- parameters ---------------------------------------------------------------------------

    @Override
    public String getParameter(String name) {
        String[] values = getParameterMap().get(name);
        return values == null || values.length == 0 ? null : values[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        if (!isFormBody()) {
            return super.getParameterMap();
        }
        if (formParameters == null) {
            Map<String, List<String>> collected = new LinkedHashMap<>();
            Charset charset = bodyCharset();
            parse(getQueryString(), StandardCharsets.UTF_8, collected);
            parse(new String(body, StandardCharsets.ISO_8859_1), charset, collected);
            Map<String, String[]> result = new LinkedHashMap<>();
            collected.forEach((k, v) -> result.put(k, v.toArray(String[]::new)));
            formParameters = Collections.unmodifiableMap(result);
        }
        return formParameters;
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(getParameterMap().keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        String[] values = getParameterMap().get(name);
        return values == null ? null : values.clone();
    }

    @Override
    public Collection<Part> getParts() {
        throw multipartRefused();
    }

    @Override
    public Part getPart(String name) {
        throw multipartRefused();
    }

    private static IllegalStateException multipartRefused() {
        return new IllegalStateException("Multipart parts are not available for requests handled by "
                + "IdempotencyFilter: the filter reads the body to fingerprint it. Read the raw body from "
                + "getInputStream(), or exclude this URL from the filter.");
    }

    // ---- async --------------------------------------------------------------------------------

    @Override
    public AsyncContext startAsync() {
        throw asyncRefused();
    }

    @Override
    public AsyncContext startAsync(ServletRequest servletRequest, ServletResponse servletResponse) {
        throw asyncRefused();
    }

    @Override
    public boolean isAsyncSupported() {
        return false;
    }

    @Override
    public boolean isAsyncStarted() {
        return false;
    }

    private static IllegalStateException asyncRefused() {
        return new IllegalStateException("Asynchronous processing (startAsync) is not supported for requests "
                + "handled by IdempotencyFilter: the outcome must be stored in the request's transaction before "
                + "the response is sent. Handle this endpoint synchronously, or exclude it from the filter.");
    }

    // ---- helpers ------------------------------------------------------------------------------

    private boolean isFormBody() {
        String type = getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")
                && body.length > 0;
    }

    /** The body's charset: the declared one, else UTF-8 for JSON (RFC 8259), else the servlet default. */
    private Charset bodyCharset() {
        String declared = getCharacterEncoding();
        if (declared != null) {
            try {
                return Charset.forName(declared);
            } catch (IllegalArgumentException e) {
                return StandardCharsets.ISO_8859_1;
            }
        }
        return MediaTypes.isJson(getContentType()) || isFormContentType() ? StandardCharsets.UTF_8
                : StandardCharsets.ISO_8859_1;
    }

    private boolean isFormContentType() {
        String type = getContentType();
        return type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    private static void parse(String encoded, Charset charset, Map<String, List<String>> into) {
        if (encoded == null || encoded.isEmpty()) {
            return;
        }
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals >= 0 ? pair.substring(0, equals) : pair, charset);
            String value = equals >= 0 ? decode(pair.substring(equals + 1), charset) : "";
            into.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    private static String decode(String s, Charset charset) {
        try {
            return URLDecoder.decode(s, charset);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static final class CachedInputStream extends ServletInputStream {

        private final ByteArrayInputStream in;

        CachedInputStream(byte[] body) {
            this.in = new ByteArrayInputStream(body);
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return in.read(b, off, len);
        }

        @Override
        public int available() {
            return in.available();
        }

        @Override
        public boolean isFinished() {
            return in.available() == 0;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setReadListener(ReadListener readListener) {
            throw asyncRefused();
        }
    }
}
