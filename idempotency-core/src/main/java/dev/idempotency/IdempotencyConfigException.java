package dev.idempotency;

/**
 * A configuration value is missing or invalid. Thrown at start-up, never while serving requests; the
 * message names the property (or builder setting) and the offending value.
 */
public final class IdempotencyConfigException extends IdempotencyException {

    private static final long serialVersionUID = 1L;

    private final String setting;
    private final String value;

    private IdempotencyConfigException(String setting, String value, String message) {
        super(message);
        this.setting = setting;
        this.value = value;
    }

    /**
     * A value that could not be accepted.
     *
     * @param setting the property name, such as {@code idempotency.key-ttl}, or a builder method name
     * @param value the value as given (may be {@code null})
     * @param expectation what a valid value looks like, phrased to complete "expected ..."
     */
    public static IdempotencyConfigException invalid(String setting, Object value, String expectation) {
        String shown = value == null ? "null" : "'" + value + "'";
        return new IdempotencyConfigException(setting, String.valueOf(value),
                "Invalid value " + shown + " for " + setting + ": expected " + expectation);
    }

    /** A setting that cannot be used together with, or without, another. */
    public static IdempotencyConfigException inconsistent(String setting, Object value, String explanation) {
        return new IdempotencyConfigException(setting, String.valueOf(value),
                "Invalid value '" + value + "' for " + setting + ": " + explanation);
    }

    /** A property under the {@code idempotency.} prefix that this library does not know (usually a typo). */
    public static IdempotencyConfigException unknownProperty(String property, String value, Iterable<String> known) {
        return new IdempotencyConfigException(property, value,
                "Unknown property '" + property + "' (value '" + value + "'); known properties: "
                        + String.join(", ", known));
    }

    /** Something the configuration needs but does not have. */
    public static IdempotencyConfigException missing(String setting, String explanation) {
        return new IdempotencyConfigException(setting, null, "Missing " + setting + ": " + explanation);
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
