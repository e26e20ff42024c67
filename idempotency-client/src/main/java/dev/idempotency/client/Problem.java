package dev.idempotency.client;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * An RFC 9457 problem document from a refusal ({@code application/problem+json}): its standard members, as
 * far as the server sent them, and the document itself.
 *
 * @param type the problem type URI; {@code about:blank} when the document has none
 * @param title the short summary, if sent
 * @param status the status the document states, if sent
 * @param detail the explanation of this occurrence, if sent: what a person can act on
 * @param instance the URI of this occurrence, if sent
 * @param document the document as received
 */
public record Problem(String type, Optional<String> title, OptionalInt status, Optional<String> detail,
        Optional<String> instance, String document) {

    /** The type of a problem document without one (RFC 9457, section 4.2.1). */
    public static final String ABOUT_BLANK = "about:blank";

    @Override
    public String toString() {
        return "Problem[" + type + status.stream().mapToObj(s -> " " + s).findFirst().orElse("")
                + title.map(t -> ": " + t).orElse("") + detail.map(d -> " (" + d + ")").orElse("") + "]";
    }
}
