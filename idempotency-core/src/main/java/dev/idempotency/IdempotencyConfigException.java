package dev.idempotency;

/**
 * A configuration value is missing or invalid. Thrown at start-up, never while serving requests; the
 * message names the property (or builder setting) and the offending value.
 */
public final class IdempotencyConfigException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    private final String setting;
    private final String value;
    private final boolean missing;
    private final String explanation;

    private IdempotencyConfigException(String setting, Object value, boolean missing, String explanation) {
        super(missing ? "Missing " + setting + ": " + explanation
                : "Invalid value " + (value == null ? "null" : "'" + value + "'") + " for " + setting + ": "
                        + explanation);
        this.setting = setting;
        this.value = missing ? null : String.valueOf(value);
        this.missing = missing;
        this.explanation = explanation;
    }

    private IdempotencyConfigException(String setting, String value, String message, String explanation) {
        super(message);
        this.setting = setting;
        this.value = value;
        this.missing = false;
        this.explanation = explanation;
    }

    /**
     * A value that could not be accepted.
     *
     * @param setting the property name, such as {@code idempotency.key-ttl}, or a builder method name
     * @param value the value as given (may be {@code null})
     * @param expectation what a valid value looks like, phrased to complete "expected ..."
     */
    public static IdempotencyConfigException invalid(String setting, Object value, String expectation) {
        return new IdempotencyConfigException(setting, value, false, "expected " + expectation);
    }

    /** A setting that cannot be used together with, or without, another. */
    public static IdempotencyConfigException inconsistent(String setting, Object value, String explanation) {
        return new IdempotencyConfigException(setting, value, false, explanation);
    }

    /** A property under the {@code idempotency.} prefix that this library does not know (usually a typo). */
    public static IdempotencyConfigException unknownProperty(String property, String value, Iterable<String> known) {
        String knownProperties = "known properties: " + String.join(", ", known);
        return new IdempotencyConfigException(property, value,
                "Unknown property '" + property + "' (value '" + value + "'); " + knownProperties,
                "not a known property; " + knownProperties);
    }

    /** Something the configuration needs but does not have. */
    public static IdempotencyConfigException missing(String setting, String explanation) {
        return new IdempotencyConfigException(setting, null, true, explanation);
    }

    /**
     * The same refusal, under the name the user gave the setting: for a layer that reads it from somewhere
     * else (a context parameter, a command-line option) and passes it on to a builder or property whose own
     * name would not tell the user what to fix.
     *
     * @param setting the name as the user knows it, such as {@code context-param idempotency.jdbc.url}
     * @param value the value to show (redacted, for a secret)
     */
    public IdempotencyConfigException renamed(String setting, Object value) {
        return new IdempotencyConfigException(setting, value, missing, explanation);
    }

    /** The property or builder setting that was rejected. */
    public String setting() {
        return setting;
    }

    /** The rejected value as text, or {@code "null"}. */
    public String value() {
        return value;
    }
}
