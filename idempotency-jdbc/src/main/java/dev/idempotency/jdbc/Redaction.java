package dev.idempotency.jdbc;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hides the passwords in JDBC URLs, and in any text that quotes one, before it is shown: in an exception
 * message, a log line, a start-up error. Every message this module builds from a URL or a pool goes through
 * it; applications can use it for their own.
 *
 * <p>What is hidden, each replaced by {@value #MASK}:
 * <ul>
 * <li>the value of a parameter named {@code password}, {@code passwd} or {@code pwd}, or whose name contains
 * {@code password} or {@code secret} (any case: {@code PASSWORD}, {@code sslpassword},
 * {@code client_secret}), in the {@code ?a=b&c=d} and the {@code ;a=b;c=d} syntax, in any position;</li>
 * <li>the password of the user information, {@code //user:password@host}, and Oracle's
 * {@code jdbc:oracle:thin:user/password@host};</li>
 * <li>with {@link #redact(String, Collection)}, every occurrence of the given secrets (a password given
 * apart from the URL, say), wherever it appears.</li>
 * </ul>
 * Everything else, host, port, database and other parameters, stays, so the message still says which
 * database it is about.
 */
public final class Redaction {

    /** What a hidden value is replaced by. */
    public static final String MASK = "***";

    /**
     * A parameter whose value is secret, and its value: braced or quoted, or up to the next separator. One
     * punctuation mark between the value and a space or the end is the sentence's, not the value's: a message
     * that quotes a URL goes on with {@code ": "}, and a value already masked stays as it is.
     */
    private static final Pattern SECRET_PARAMETER = Pattern.compile(
            "(?i)(?<![\\w.-])((?:pwd|passwd|[\\w.-]*password[\\w.-]*|[\\w.-]*secret[\\w.-]*)\\s*=\\s*)"
                    + "(\\{[^}]*}|\"[^\"]*\"|'[^']*'|[^&;\\s'\"]+?(?=[:,.)\\]]?(?:[&;\\s'\"]|$)))");

    /** {@code //user:password@}: the password of a URL's user information. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@\\s:?;&]*:)([^@/\\s]+)(@)");

    /** Oracle's {@code jdbc:oracle:thin:user/password@host}. */
    private static final Pattern ORACLE_USER = Pattern.compile("(?i)(jdbc:oracle:[a-z0-9]+:[^/@\\s:]+/)([^@\\s]+)(@)");

    private static final List<Pattern> PATTERNS = List.of(SECRET_PARAMETER, USER_INFO, ORACLE_USER);

    private Redaction() {
    }

    /**
     * {@code text} with the passwords of every JDBC URL in it hidden; {@code null} stays {@code null}.
     * For a URL itself, this is the URL as it may be shown:
     * {@code jdbc:postgresql://db/app?user=app&password=***}.
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String redacted = text;
        for (Pattern pattern : PATTERNS) {
            redacted = replaceSecretGroup(pattern, redacted);
        }
        return redacted;
    }

    /**
     * As {@link #redact(String)}, and every occurrence of each of {@code secrets} hidden too (empty and
     * {@code null} secrets are ignored).
     */
    public static String redact(String text, Collection<String> secrets) {
        Objects.requireNonNull(secrets, "secrets");
        String redacted = redact(text);
        if (redacted == null) {
            return null;
        }
        // The longest first, so a secret containing another is hidden whole.
        for (String secret : secrets.stream().filter(s -> s != null && !s.isEmpty())
                .sorted(Comparator.comparingInt(String::length).reversed()).toList()) {
            redacted = redacted.replace(secret, MASK);
        }
        return redacted;
    }

    /**
     * The secret values in {@code jdbcUrl}, as written and URL-decoded: what {@link #redact(String)} hides
     * there, for {@link #redact(String, Collection)} to hide wherever else a driver or a pool may quote them
     * on their own.
     */
    public static Set<String> secretsIn(String jdbcUrl) {
        Set<String> secrets = new LinkedHashSet<>();
        if (jdbcUrl == null) {
            return secrets;
        }
        for (Pattern pattern : PATTERNS) {
            Matcher matcher = pattern.matcher(jdbcUrl);
            while (matcher.find()) {
                String value = unquoted(matcher.group(2));
                if (!value.isEmpty()) {
                    secrets.add(value);
                    secrets.add(decoded(value));
                }
            }
        }
        return secrets;
    }

    private static String replaceSecretGroup(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        do {
            String tail = matcher.groupCount() >= 3 ? matcher.group(3) : "";
            matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(1) + MASK + tail));
        } while (matcher.find());
        matcher.appendTail(out);
        return out.toString();
    }

    private static String unquoted(String value) {
        if (value.length() >= 2 && (value.startsWith("{") && value.endsWith("}")
                || value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static String decoded(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // Not valid percent-encoding: the driver reads it as written.
            return value;
        }
    }
}
