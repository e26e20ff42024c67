package dev.idempotency.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application whose {@code POST /orders} is exactly-once: {@link IdempotencyConfiguration}
 * registers {@link dev.idempotency.servlet.IdempotencyFilter} as a plain {@code FilterRegistrationBean}, and
 * {@link OrdersController}'s insert joins the idempotent request's transaction through the store's DataSource.
 *
 * <p>Run it with {@code mvn -pl examples-spring-boot spring-boot:run} (after {@code mvn install} of the library)
 * or from the IDE; it listens on port 8080 and keeps its data in an in-memory H2 database unless
 * {@code app.datasource.url} names another (PostgreSQL, say:
 * {@code --app.datasource.url=jdbc:postgresql://localhost:5432/app} with {@code app.datasource.username} and
 * {@code app.datasource.password}).
 */
@SpringBootApplication
public class SpringBootExampleApplication {

    /** Starts the application; arguments are Spring Boot's ({@code --server.port=0}, {@code --idempotency.key-ttl=12h}). */
    public static void main(String[] args) {
        SpringApplication.run(SpringBootExampleApplication.class, args);
    }
}
