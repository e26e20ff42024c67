package dev.idempotency.examples.springboot;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Profile;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * For the crash test only, and only in the {@value #PROFILE} profile (never active unless asked for): a request
 * with {@value #HOLD_HEADER}{@code : N} is held N milliseconds after its handler returned. Its order is then
 * written but not committed, and its answer not stored: the request's transaction is open. The test kills the
 * process while requests are held there, and waits for the line this logs for each one ("Holding request ...")
 * to know that they are.
 */
@Component
@Profile(FaultInjection.PROFILE)
class FaultInjection implements WebMvcConfigurer, HandlerInterceptor {

    /** The profile that turns this on. */
    static final String PROFILE = "fault-injection";

    /** The request header naming how long to hold the request, in milliseconds. */
    static final String HOLD_HEADER = "X-Hold-Millis";

    private static final Logger log = LoggerFactory.getLogger(FaultInjection.class);

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    @Override
    public void postHandle(HttpServletRequest request, HttpServletResponse response, Object handler,
            ModelAndView modelAndView) throws InterruptedException {
        String hold = request.getHeader(HOLD_HEADER);
        if (hold == null) {
            return;
        }
        long millis = Long.parseLong(hold);
        log.info("Holding request {} for {} ms after its handler returned", request.getHeader("Idempotency-Key"),
                millis);
        Thread.sleep(millis);
    }
}
