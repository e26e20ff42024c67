package dev.idempotency.servlet.internal;

import dev.idempotency.Header;
import dev.idempotency.adapter.HandlerResponse;
import dev.idempotency.adapter.MediaTypes;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Holds everything a handler does to its response (status, headers, cookies, body) without letting a
 * byte reach the client, so the outcome can be stored and committed before it is sent. It behaves like
 * a container's response with an unlimited buffer: {@link #flushBuffer()} marks it committed but sends
 * nothing; a body over the limit is dropped and reported as truncated.
 *
 * <p>Asynchronous output ({@link ServletOutputStream#setWriteListener}) and trailers are refused: the
 * outcome must be complete when the handler returns.
 */
public final class CapturingResponse extends HttpServletResponseWrapper {

    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final BoundedBuffer body;
    private final List<Header> headers = new ArrayList<>();
    private final List<Cookie> cookies = new ArrayList<>();
    private int status = SC_OK;
    private String contentType;
    /** The charset the handler set (explicitly or in the content type); sent in Content-Type. */
    private String characterEncoding;
    /** The charset the writer encodes with, fixed when the handler asked for the writer; null before. */
    private String writerCharset;
    private boolean committed;
    private ServletOutputStream outputStream;
    private PrintWriter writer;

    public CapturingResponse(HttpServletResponse response, int maxBodyBytes) {
        super(response);
        this.body = new BoundedBuffer(maxBodyBytes);
    }

    /** The captured response; call after the handler returned. */
    public HandlerResponse toHandlerResponse() {
        if (writer != null) {
            writer.flush();
        }
        List<Header> all = new ArrayList<>(headers.size() + 1);
        String type = getContentType();
        if (type != null) {
            all.add(new Header("Content-Type", type));
        }
        all.addAll(headers);
        return body.overflowed() ? HandlerResponse.truncated(status, all)
                : HandlerResponse.of(status, all, body.toByteArray());
    }

    /** Cookies the handler added; sent with the first response only, never stored. */
    public List<Cookie> cookies() {
        return cookies;
    }

    // ---- status -------------------------------------------------------------------------------

    @Override
    public void setStatus(int sc) {
        if (!committed) {
            status = sc;
        }
    }

    @Override
    public int getStatus() {
        return status;
    }

    @Override
    public void sendError(int sc) {
        sendError(sc, null);
    }

    /**
     * Without a container error page to render, an error becomes a plain-text body holding the message,
     * so that the first answer and its replays are the same bytes.
     */
    @Override
    public void sendError(int sc, String msg) {
        requireNotCommitted("sendError");
        status = sc;
        body.reset();
        outputStream = null;
        writer = null;
        writerCharset = null;
        characterEncoding = null;
        contentType = null;
        if (msg != null) {
            contentType = "text/plain";
            characterEncoding = "UTF-8";
            byte[] bytes = msg.getBytes(StandardCharsets.UTF_8);
            body.write(bytes, 0, bytes.length);
        }
        committed = true;
    }

    @Override
    public void sendRedirect(String location) {
        sendRedirect(location, SC_FOUND, true);
    }

    /** Servlet 6.1 signature; declared so the capture also holds on 6.1 containers. */
    public void sendRedirect(String location, int sc) {
        sendRedirect(location, sc, true);
    }

    /** Servlet 6.1 signature; declared so the capture also holds on 6.1 containers. */
    public void sendRedirect(String location, boolean clearBuffer) {
        sendRedirect(location, SC_FOUND, clearBuffer);
    }

    /** Servlet 6.1 signature; declared so the capture also holds on 6.1 containers. */
    public void sendRedirect(String location, int sc, boolean clearBuffer) {
        requireNotCommitted("sendRedirect");
        if (clearBuffer) {
            body.reset();
        }
        status = sc;
        setHeader("Location", location);
        committed = true;
    }

    // ---- headers ------------------------------------------------------------------------------

    @Override
    public void setHeader(String name, String value) {
        if (name == null || committed) {
            return;
        }
        if (name.equalsIgnoreCase("Content-Type")) {
            setContentType(value);
            return;
        }
        if (name.equalsIgnoreCase("Content-Length")) {
            return;
        }
        headers.removeIf(h -> h.hasName(name));
        if (value != null) {
            headers.add(new Header(name, value));
        }
    }

    @Override
    public void addHeader(String name, String value) {
        if (name == null || value == null || committed) {
            return;
        }
        if (name.equalsIgnoreCase("Content-Type")) {
            setContentType(value);
            return;
        }
        if (name.equalsIgnoreCase("Content-Length")) {
            return;
        }
        headers.add(new Header(name, value));
    }

    @Override
    public void setIntHeader(String name, int value) {
        setHeader(name, Integer.toString(value));
    }

    @Override
    public void addIntHeader(String name, int value) {
        addHeader(name, Integer.toString(value));
    }

    @Override
    public void setDateHeader(String name, long date) {
        setHeader(name, HTTP_DATE.format(Instant.ofEpochMilli(date)));
    }

    @Override
    public void addDateHeader(String name, long date) {
        addHeader(name, HTTP_DATE.format(Instant.ofEpochMilli(date)));
    }

    @Override
    public boolean containsHeader(String name) {
        return getHeader(name) != null;
    }

    @Override
    public String getHeader(String name) {
        if (name.equalsIgnoreCase("Content-Type")) {
            return getContentType();
        }
        for (Header h : headers) {
            if (h.hasName(name)) {
                return h.value();
            }
        }
        return null;
    }

    @Override
    public Collection<String> getHeaders(String name) {
        List<String> values = new ArrayList<>();
        if (name.equalsIgnoreCase("Content-Type")) {
            String type = getContentType();
            if (type != null) {
                values.add(type);
            }
            return values;
        }
        for (Header h : headers) {
            if (h.hasName(name)) {
                values.add(h.value());
            }
        }
        return values;
    }

    @Override
    public Collection<String> getHeaderNames() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        if (getContentType() != null) {
            names.add("Content-Type");
        }
        for (Header h : headers) {
            names.add(h.name());
        }
        return names;
    }

    @Override
    public void addCookie(Cookie cookie) {
        if (!committed) {
            cookies.add(cookie);
        }
    }

    @Override
    public void setTrailerFields(Supplier<java.util.Map<String, String>> supplier) {
        throw new IllegalStateException("Trailer fields are not supported on responses handled by "
                + "IdempotencyFilter: the stored outcome is a status, headers and a body.");
    }

    // ---- content type and encoding ------------------------------------------------------------

    @Override
    public void setContentType(String type) {
        if (committed) {
            return;
        }
        if (type == null) {
            contentType = null;
            return;
        }
        String charset = charsetOf(type);
        if (charset != null && writerCharset == null) {
            characterEncoding = charset;
        }
        contentType = charset == null ? type : withoutCharset(type);
    }

    /**
     * The content type with the charset the body is in, as a container sends it: an explicit charset is
     * always named; the writer's charset is named too, except UTF-8 for JSON, which RFC 8259 fixes (the
     * container does not label it either).
     */
    @Override
    public String getContentType() {
        if (contentType == null) {
            return null;
        }
        if (characterEncoding != null) {
            return contentType + ";charset=" + characterEncoding;
        }
        if (writerCharset != null
                && !(MediaTypes.isJson(contentType) && writerCharset.equals(StandardCharsets.UTF_8.name()))) {
            return contentType + ";charset=" + writerCharset;
        }
        return contentType;
    }

    @Override
    public void setCharacterEncoding(String charset) {
        if (!committed && writerCharset == null) {
            characterEncoding = charset;
        }
    }

    /** Servlet 6.1 signature; declared so the capture also holds on 6.1 containers. */
    public void setCharacterEncoding(Charset charset) {
        setCharacterEncoding(charset == null ? null : charset.name());
    }

    /**
     * The set charset; else the writer's; else UTF-8 for JSON (RFC 8259), as containers assume it;
     * else the container's default.
     */
    @Override
    public String getCharacterEncoding() {
        if (characterEncoding != null) {
            return characterEncoding;
        }
        if (writerCharset != null) {
            return writerCharset;
        }
        if (MediaTypes.isJson(contentType)) {
            return StandardCharsets.UTF_8.name();
        }
        String containerDefault = getResponse().getCharacterEncoding();
        return containerDefault != null ? containerDefault : StandardCharsets.ISO_8859_1.name();
    }

    @Override
    public void setContentLength(int len) {
        // The length is computed from the captured body when it is sent.
    }

    @Override
    public void setContentLengthLong(long len) {
        // The length is computed from the captured body when it is sent.
    }

    @Override
    public void setLocale(Locale loc) {
        if (!committed) {
            super.setLocale(loc);
        }
    }

    // ---- body ---------------------------------------------------------------------------------

    @Override
    public ServletOutputStream getOutputStream() {
        if (writer != null) {
            throw new IllegalStateException("getWriter() has already been called for this response");
        }
        if (outputStream == null) {
            outputStream = new CaptureStream();
        }
        return outputStream;
    }

    @Override
    public PrintWriter getWriter() {
        if (outputStream != null && writer == null) {
            throw new IllegalStateException("getOutputStream() has already been called for this response");
        }
        if (writer == null) {
            Charset charset;
            try {
                charset = Charset.forName(getCharacterEncoding());
            } catch (IllegalArgumentException e) {
                charset = StandardCharsets.ISO_8859_1;
            }
            writerCharset = charset.name();
            outputStream = new CaptureStream();
            writer = new PrintWriter(new OutputStreamWriter(outputStream, charset), false);
        }
        return writer;
    }

    @Override
    public void flushBuffer() {
        if (writer != null) {
            writer.flush();
        }
        committed = true;
    }

    @Override
    public boolean isCommitted() {
        return committed;
    }

    @Override
    public void reset() {
        requireNotCommitted("reset");
        status = SC_OK;
        headers.clear();
        cookies.clear();
        contentType = null;
        characterEncoding = null;
        body.reset();
        writer = null;
        outputStream = null;
        writerCharset = null;
    }

    @Override
    public void resetBuffer() {
        requireNotCommitted("resetBuffer");
        body.reset();
    }

    @Override
    public void setBufferSize(int size) {
        // Everything is buffered until the outcome is committed; the size has no effect.
    }

    private void requireNotCommitted(String operation) {
        if (committed) {
            throw new IllegalStateException("Cannot " + operation + " after the response has been committed");
        }
    }

    private static String charsetOf(String type) {
        for (String part : type.split(";")) {
            String p = part.trim();
            if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                String value = p.substring(8).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value.isEmpty() ? null : value;
            }
        }
        return null;
    }

    private static String withoutCharset(String type) {
        StringBuilder out = new StringBuilder();
        Iterator<String> parts = List.of(type.split(";")).iterator();
        while (parts.hasNext()) {
            String part = parts.next().trim();
            if (part.regionMatches(true, 0, "charset=", 0, 8)) {
                continue;
            }
            if (out.length() > 0) {
                out.append(';');
            }
            out.append(part);
        }
        return out.toString();
    }

    private final class CaptureStream extends ServletOutputStream {

        @Override
        public void write(int b) {
            body.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            body.write(b, off, len);
        }

        @Override
        public void flush() {
            committed = true;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setWriteListener(WriteListener writeListener) {
            throw new IllegalStateException("Non-blocking output (setWriteListener) is not supported on responses "
                    + "handled by IdempotencyFilter: the outcome must be complete when the handler returns.");
        }
    }
}
