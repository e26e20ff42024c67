package dev.idempotency.examples.springboot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application whose {@code POST /orders} takes effect once per {@code Idempotency-Key}: the
 * idempotency starter is a dependency, two lines of application.properties set it up, and there is no
 * configuration class for it. {@link OrdersController} and {@link OrderService} are ordinary Spring code; the
 * service's {@code @Transactional} joins the idempotent request's transaction, so each order commits together
 * with the answer the library stores for its key.
 *
 * <p>Run it with {@code java -jar target/idempotency-examples-spring-boot-0.1.0-SNAPSHOT.jar} after the build
 * packaged it; it listens on port 8080 and keeps its data in an in-memory H2 database unless
 * {@code spring.datasource.url} names another ({@code --spring.datasource.url=jdbc:postgresql://localhost:5432/app
 * --spring.datasource.username=app --spring.datasource.password=...}).
 */
@SpringBootApplication
public class SpringBootExampleApplication {

    /** Starts the application; arguments are Spring Boot's ({@code --server.port=0}, {@code --idempotency.key-ttl=2h}). */
    public static void main(String[] args) {
        SpringApplication.run(SpringBootExampleApplication.class, args);
    }
}
