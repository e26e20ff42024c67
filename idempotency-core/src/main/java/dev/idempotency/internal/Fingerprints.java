package dev.idempotency.internal;

import dev.idempotency.adapter.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The fingerprint algorithms, by version. A stored record keeps the version it was computed with, so a
 * later version can be introduced without turning every in-flight retry into a false mismatch: a record of
 * an earlier version is compared by computing the request's fingerprint in that version.
 *
 * <p>Version 1 is SHA-256 over length-prefixed fields: the method; the request path as sent; the query
 * parameters percent-decoded ({@code +} as space, as servlet containers decode them) and stably sorted by
 * name; then the body, canonicalised if its media type is JSON ({@code application/json} or
 * {@code application/*+json}) and as raw bytes otherwise. The media type itself does not count.
 *
 * <p>Version 2 adds, after the query parameters, the media type and the content coding, because the same
 * bytes sent as {@code text/plain} and as {@code application/xml}, or as {@code application/json} and as
 * {@code application/merge-patch+json}, are different requests to a handler:
 * <ul>
 * <li>the {@code Content-Type}: absent ({@code N}); or parsed ({@code M}) as its type/subtype in lower case
 * and its parameters, each name in lower case and each value unquoted, the {@code charset} value in lower
 * case too (the case-insensitive parts of RFC 9110's media type), sorted by name; or, when it does not parse
 * as a media type, its trimmed text ({@code U});</li>
 * <li>the {@code Content-Encoding}: none ({@code N}), or ({@code C}) its codings in order, in lower case,
 * without {@code identity}. A body with a content coding is fingerprinted by its raw bytes, never parsed as
 * JSON: the bytes are compressed (or otherwise encoded), and the handler decides what they mean.</li>
 * </ul>
 * Both are written as absent for an empty body, which they do not describe.
 */
public final class Fingerprints {

    /** The version new fingerprints are computed with. */
    public static final int CURRENT_VERSION = 2;

    private static final byte[] V1_DOMAIN = "idempotency-fingerprint:1\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_DOMAIN = "idempotency-fingerprint:2\n".getBytes(StandardCharsets.US_ASCII);

    private Fingerprints() {
    }

    /** Whether this build knows how to compute fingerprints of {@code version}. */
    public static boolean isKnownVersion(int version) {
        return version == 1 || version == 2;
    }

    /**
     * Computes a version-{@code version} fingerprint.
     *
     * @throws dev.idempotency.MalformedRequestBodyException if the body is declared JSON and is not
     * @throws IllegalArgumentException for an unknown version
     */
    public static byte[] compute(int version, String method, String path, String rawQuery, String contentType,
            String contentEncoding, byte[] body) {
        if (!isKnownVersion(version)) {
            throw new IllegalArgumentException("Unknown fingerprint version " + version);
        }
        byte[] domain = version == 1 ? V1_DOMAIN : V2_DOMAIN;
        // Canonical JSON is rarely longer than the body it came from; fields are length-prefixed.
        DigestSink sink = new DigestSink(sha256(), domain.length + 128 + body.length
                + (path == null ? 0 : path.length()) + (rawQuery == null ? 0 : rawQuery.length()));
        sink.write(domain, 0, domain.length);
        sink.field(method);
        sink.field(path == null ? "" : path);
        List<byte[][]> parameters = queryParameters(rawQuery);
        sink.writeInt(parameters.size());
        for (byte[][] parameter : parameters) {
            sink.field(parameter[0]);
            sink.field(parameter[1]);
        }
        List<String> codings = List.of();
        if (version >= 2) {
            // The headers describe the body; without one there is nothing they describe, and a client may
            // well send a Content-Type with an empty body on one attempt and none on the next.
            writeMediaType(sink, body.length == 0 ? null : contentType);
            codings = body.length == 0 ? List.of() : contentCodings(contentEncoding);
            if (codings.isEmpty()) {
                sink.write('N');
            } else {
                sink.write('C');
                sink.writeInt(codings.size());
                for (String coding : codings) {
                    sink.field(coding);
                }
            }
        }
        if (body.length == 0) {
            sink.write('E');
        } else if (codings.isEmpty() && MediaTypes.isJson(contentType)) {
            sink.write('J');
            CanonicalJson.write(body, sink);
        } else {
            sink.write('R');
            sink.field(body);
        }
        return sink.finish();
    }

    /** Writes the version-2 media type field (see the class comment). */
    private static void writeMediaType(DigestSink sink, String contentType) {
        if (contentType == null) {
            sink.write('N');
            return;
        }
        MediaType parsed = MediaType.parse(contentType);
        if (parsed == null) {
            sink.write('U');
            sink.field(contentType.trim());
            return;
        }
        sink.write('M');
        sink.field(parsed.essence());
        sink.writeInt(parsed.parameters().size());
        for (String[] parameter : parsed.parameters()) {
            sink.field(parameter[0]);
            sink.field(parameter[1]);
        }
    }

    /** The codings of a {@code Content-Encoding} value, in order, in lower case, without {@code identity}. */
    static List<String> contentCodings(String contentEncoding) {
        if (contentEncoding == null || contentEncoding.isBlank()) {
            return List.of();
        }
        List<String> codings = new ArrayList<>();
        for (String coding : contentEncoding.split(",")) {
            String c = coding.trim().toLowerCase(Locale.ROOT);
            if (!c.isEmpty() && !c.equals("identity")) {
                codings.add(c);
            }
        }
        return codings;
    }

    /** Decoded name/value pairs, stably sorted by name bytes. Undecodable escapes are kept literally. */
    static List<byte[][]> queryParameters(String rawQuery) {
        List<byte[][]> parameters = new ArrayList<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = equals >= 0 ? pair.substring(0, equals) : pair;
            String value = equals >= 0 ? pair.substring(equals + 1) : "";
            parameters.add(new byte[][] {decode(name), decode(value)});
        }
        parameters.sort((a, b) -> Arrays.compareUnsigned(a[0], b[0]));
        return parameters;
    }

    private static byte[] decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '+') {
                out.write(' ');
                i++;
            } else if (c == '%' && i + 2 < s.length()
                    && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 3;
            } else {
                int codePoint = s.codePointAt(i);
                byte[] raw = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
                out.write(raw, 0, raw.length);
                i += Character.charCount(codePoint);
            }
        }
        return out.toByteArray();
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform must provide SHA-256", e);
        }
    }
}
