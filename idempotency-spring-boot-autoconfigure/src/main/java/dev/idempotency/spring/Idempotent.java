package dev.idempotency.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Settings of the Idempotency-Key protocol for one Spring MVC handler method, or for every handler method of
 * a controller class (a method's annotation wins over its class's). Each attribute left at its default takes
 * the application's {@code idempotency.*} property.
 *
 * <pre>{@code
 * @PostMapping("/payments")
 * @Idempotent(keyTtl = "2h", mode = Idempotent.Mode.LEASE)
 * public Payment charge(@RequestBody PaymentRequest request) { ... }
 *
 * @PostMapping("/search")
 * @Idempotent(enabled = false)          // a POST that changes nothing: no key needed
 * public List<Result> search(@RequestBody Query query) { ... }
 * }</pre>
 *
 * <p>A handler annotated {@code @Idempotent} (and not {@code enabled = false}) is covered whatever its HTTP
 * method, a {@code PUT} say, besides the methods of {@code idempotency.methods}. The settings are resolved from
 * the handler method the request maps to, before the request reaches it.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Idempotent {

    /** {@code false} takes the endpoint out of the protocol: its requests pass through untouched. */
    boolean enabled() default true;

    /**
     * How long a key and its outcome are kept, such as {@code "2h"} or {@code "PT2H"}, counted from the stored
     * outcome; empty for {@code idempotency.key-ttl}.
     */
    String keyTtl() default "";

    /** Transaction or lease mode; {@link Mode#DEFAULT} for {@code idempotency.mode} and its lease paths. */
    Mode mode() default Mode.DEFAULT;

    /** How long a lease lasts, such as {@code "30s"}; empty for {@code idempotency.lease-duration}. */
    String leaseDuration() default "";

    /** Whether a request without a key is refused; {@link Key#DEFAULT} for {@code idempotency.required}. */
    Key key() default Key.DEFAULT;

    /** The execution mode of an endpoint. */
    enum Mode {
        /** As the properties say. */
        DEFAULT,
        /** The claim, the handler's writes and the outcome in one database transaction. */
        TRANSACTION,
        /** A committed lease, for handlers whose effect leaves the database. */
        LEASE
    }

    /** Whether requests must carry an {@code Idempotency-Key}. */
    enum Key {
        /** As {@code idempotency.required} says. */
        DEFAULT,
        /** A request without a key is refused with 400. */
        REQUIRED,
        /** A request without a key passes through, unprotected. */
        OPTIONAL
    }
}
