package dev.idempotency.adapter;

import java.util.Locale;

/** How the protocol reads media types, for adapters that must treat bodies the same way. */
public final class MediaTypes {

    private MediaTypes() {
    }

    /**
     * Whether {@code contentType} is JSON, whose bodies the fingerprint canonicalises and whose text is UTF-8:
     * {@code application/json}, or any {@code type/subtype+json}, ignoring parameters and case.
     *
     * @param contentType a {@code Content-Type} value, or {@code null}
     */
    public static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String mediaType = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType)
                .trim().toLowerCase(Locale.ROOT);
        if (mediaType.equals("application/json")) {
            return true;
        }
        int slash = mediaType.indexOf('/');
        return slash > 0 && mediaType.endsWith("+json") && mediaType.length() > slash + 6;
    }
}
