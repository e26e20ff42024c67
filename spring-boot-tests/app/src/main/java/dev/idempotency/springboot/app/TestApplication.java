package dev.idempotency.springboot.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An ordinary Spring Boot application with the idempotency starter on its class path and no configuration
 * class for it: a controller, a {@code @Transactional} service writing a JPA entity and a row through
 * {@code JdbcTemplate}, and Flyway migrations of its own. The same sources are built and tested on Spring Boot
 * 3.5 and 4.0.
 */
@SpringBootApplication
public class TestApplication {

    public static void main(String[] args) {
        SpringApplication.run(TestApplication.class, args);
    }
}
